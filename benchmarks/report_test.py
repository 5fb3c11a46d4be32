import json

from benchmarks import report


def test_write_saves_markdown_with_command_and_machine_and_json_with_the_data(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "RESULTS", str(tmp_path / "results"))
    monkeypatch.setattr("sys.argv", ["benchmarks/x.py", "--steps", "5"])
    text = report.write("x", "A title", "| a |\n", {"ratio": 1.5})
    saved = (tmp_path / "results" / "x.md").read_text()
    assert saved == text and saved.startswith("# A title\n") and "--steps 5" in saved and "cores" in saved
    data = json.loads((tmp_path / "results" / "x.json").read_text())
    assert data["ratio"] == 1.5 and "--steps 5" in data["command"] and data["machine"] == report.machine()
