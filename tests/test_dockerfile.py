"""The pipeline image's Dockerfile, checked without a Docker engine: what its COPY lines put in the image.

`assemble_image` reads the Dockerfile's WORKDIR/COPY/ADD/ENV/RUN instructions and puts into a temporary folder
exactly what those COPY lines would put into the image, taking files from the build context (this repository)
minus what .dockerignore leaves out. tests/test_image_recipe.py then runs the RUN steps there (the install) and
the compiled pipeline with the result; this file checks the layout, the ignore rules and the start-up hook.

What is modelled, and how closely:

* Dockerfile: line continuations, comment lines, WORKDIR (relative to the previous one), COPY/ADD of local
  sources in shell or JSON form (a directory source copies its contents; a file goes to `dest/` or `dest`;
  `--chown`/`--chmod`-style flags are ignored), `COPY --from=<image>` (recorded: files of another image, not of the
  context), ENV `key=value` pairs (with `$VAR` expanded from earlier ENV values and the given environment), and
  RUN's `--mount=type=cache` flags (a build cache, dropped). ADD of URLs or archives and variables in COPY are not
  modelled and make the helper fail loudly rather than guess.
* .dockerignore: Docker's rules as in moby/patternmatcher (which `docker build` and BuildKit use): comments,
  `!` exceptions (last match wins), patterns cleaned and rooted at the context, `*` and `?` not crossing `/`,
  `**` any number of directories, `[...]` classes, and a pattern that matches a parent directory excluding
  everything under it. Approximations: patterns are translated to Python regular expressions here
  (Go's `filepath.Match` and Python's `re` agree on these classes, not on every escape); a trailing `**` is taken
  as "anything below"; an ignored directory is pruned whole unless an `!` exception exists, in which case each
  file is tested on its own (Docker does the same but also keeps re-included directories' parents).
* The start-up hook the Dockerfile installs for promo_env (TF_USE_LEGACY_KERAS) is run in a throwaway
  virtual environment, which stands in for the image's site-packages.
"""
import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# The Dockerfile before issue #13: serving/ (a package setup.py lists) was never copied, so the image's
# `pip install -e .` failed. Kept verbatim so the test shows the assembled tree shows that.
OLD_DOCKERFILE = """\
FROM tensorflow/tfx:1.16.0
ENV TF_USE_LEGACY_KERAS=1
WORKDIR /promo
COPY setup.py promo_env.py local_runner.py kubeflow_v2_runner.py ./
COPY data data
COPY evaluation evaluation
COPY pipeline pipeline
COPY trainer trainer
COPY transforms transforms
RUN pip install --no-cache-dir --no-deps tf-keras==2.16.0 && pip install --no-cache-dir --no-deps -e .
"""


# --------------------------------------------------------------------------------------------------- Dockerfile
def dockerfile_instructions(text):
    """[(INSTRUCTION, arguments)] with continuation lines joined and comment lines dropped, as Docker parses."""
    instructions, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue  # comments (also inside a continuation) and blank lines
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        if full:
            keyword, _, args = full.partition(" ")
            instructions.append((keyword.upper(), args.strip()))
    if pending.strip():
        keyword, _, args = pending.strip().partition(" ")
        instructions.append((keyword.upper(), args.strip()))
    return instructions


def _copy_arguments(args):
    """(sources, destination) of a COPY/ADD instruction; None for `COPY --from=<image>` (not the context's files)."""
    parts = json.loads(args) if args.startswith("[") else shlex.split(args)
    flags = [p for p in parts if p.startswith("--")]
    if any(flag.startswith("--from") for flag in flags):
        return None
    parts = [p for p in parts if not p.startswith("--")]
    if len(parts) < 2:
        raise ValueError(f"COPY needs a source and a destination: {args}")
    if any("$" in p or "://" in p for p in parts):
        raise NotImplementedError(f"variables and URLs are not modelled: {args}")
    return parts[:-1], parts[-1]


# ------------------------------------------------------------------------------------------------- .dockerignore
def _pattern_regex(pattern):
    """moby/patternmatcher's translation of one cleaned .dockerignore pattern."""
    regex, i = "^", 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            if pattern[i + 1:i + 2] == "*":
                i += 2
                if pattern[i:i + 1] == "/":
                    i += 1
                regex += ".*" if i >= len(pattern) else "(.*/)?"
                continue
            regex += "[^/]*"
        elif char == "?":
            regex += "[^/]"
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            regex += re.escape(pattern[i])
        elif char == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)  # a class ([abc], [a-z], [^a]) passes through, as Go reads it
            regex += pattern[i:end + 1]
            i = end
        else:
            regex += re.escape(char)
        i += 1
    return re.compile(regex + "$")


def dockerignore_rules(text):
    """[(is_exception, regex, number_of_path_components)] from .dockerignore text."""
    rules = []
    for line in text.splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        exception = pattern.startswith("!")
        if exception:
            pattern = pattern[1:].strip()
        pattern = posixpath.normpath(pattern).lstrip("/")
        if pattern in ("", "."):
            continue
        rules.append((exception, _pattern_regex(pattern), len(pattern.split("/"))))
    return rules


def is_ignored(relpath, rules):
    """Whether `relpath` (posix, relative to the context) is left out of the build context (MatchesOrParentMatches)."""
    parent_dirs = posixpath.dirname(relpath).split("/") if "/" in relpath else []
    ignored = False
    for exception, regex, n_components in rules:
        if exception != ignored:
            continue  # this rule cannot change the verdict
        matched = bool(regex.match(relpath))
        if not matched and parent_dirs and n_components <= len(parent_dirs):
            matched = bool(regex.match("/".join(parent_dirs[:n_components])))
        if matched:
            ignored = not exception
    return ignored


def excluded(relpath, rules):
    """Whether the build context leaves `relpath` out: it, or (with no `!` exceptions) a directory above it, is ignored.

    The second half is the context walk: Docker skips an ignored directory whole, so `**/__pycache__` also removes
    `__pycache__/x.pyc`, which is_ignored alone (a pattern of two components, a parent of one) would keep.
    """
    if is_ignored(relpath, rules):
        return True
    if any(exception for exception, _, _ in rules):
        return False
    parts = relpath.split("/")
    return any(is_ignored("/".join(parts[:n]), rules) for n in range(1, len(parts)))


# ------------------------------------------------------------------------------------------------ the image
def _copy_tree(context, source, target, rules):
    """Docker's COPY of directory `source`: its contents (what .dockerignore keeps) into `target`."""
    prune = not any(exception for exception, _, _ in rules)
    target.mkdir(parents=True, exist_ok=True)
    for dirpath, dirnames, filenames in os.walk(source):
        here = Path(dirpath)
        rel_dir = here.relative_to(context).as_posix()
        kept = []
        for name in sorted(dirnames):
            rel = posixpath.normpath(posixpath.join(rel_dir, name))
            if not (prune and is_ignored(rel, rules)):
                kept.append(name)
        dirnames[:] = kept
        for name in filenames:
            rel = posixpath.normpath(posixpath.join(rel_dir, name))
            if is_ignored(rel, rules):
                continue
            destination = target / (here / name).relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(here / name, destination)


def run_arguments(args):
    """A RUN instruction's shell command, without its `--mount=type=cache,...` flags (a build cache, not in the
    image); other RUN flags are not modelled."""
    while args.startswith("--"):
        flag, _, args = args.partition(" ")
        if not flag.startswith("--mount=type=cache"):
            raise NotImplementedError(f"RUN flag not modelled: {flag}")
        args = args.lstrip()
    return args


def image_environment(dockerfile_text, environment):
    """The ENV values of the Dockerfile, in order, `$VAR` / `${VAR}` expanded from earlier ones and ``environment``
    (the base image's, e.g. PATH)."""
    values = dict(environment)
    result = {}
    for keyword, args in dockerfile_instructions(dockerfile_text):
        if keyword == "ENV":
            for pair in shlex.split(args):
                key, sep, value = pair.partition("=")
                if not sep:
                    raise NotImplementedError(f"ENV without '=' is not modelled: {args}")
                value = re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m.group(1), ""), value)
                values[key] = result[key] = value
    return result


def assemble_image(dockerfile_text, root, context=REPO):
    """Put into `root` (the image's /) what the Dockerfile's COPY/ADD lines put there; returns the RUN steps.

    Returns [(workdir as a path under root, RUN shell command)].
    """
    ignore_file = context / ".dockerignore"
    rules = dockerignore_rules(ignore_file.read_text()) if ignore_file.exists() else []
    workdir, runs = "/", []
    for keyword, args in dockerfile_instructions(dockerfile_text):
        if keyword == "WORKDIR":
            workdir = posixpath.normpath(posixpath.join(workdir, args))
            (root / workdir.lstrip("/")).mkdir(parents=True, exist_ok=True)
        elif keyword in ("COPY", "ADD"):
            copied = _copy_arguments(args)
            if copied is None:
                continue  # from another image
            sources, dest = copied
            dest_is_dir = dest.endswith("/") or dest in (".", "./") or len(sources) > 1
            dest_path = root / posixpath.normpath(posixpath.join(workdir, dest)).lstrip("/")
            for source in sources:
                rel = posixpath.normpath(source)
                if rel.startswith(".."):
                    raise ValueError(f"COPY source outside the build context: {source}")
                matches = sorted(context.glob(rel)) if any(c in rel for c in "*?[") else [context / rel]
                matches = [m for m in matches if m == context or not excluded(m.relative_to(context).as_posix(), rules)]
                if not matches or not all(m.exists() for m in matches):
                    raise FileNotFoundError(f"COPY source not in the build context: {source}")
                for match in matches:
                    if match.is_dir():
                        _copy_tree(context, match, dest_path, rules)
                    else:
                        target = dest_path / match.name if dest_is_dir or dest_path.is_dir() else dest_path
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(match, target)
        elif keyword == "RUN":
            runs.append((root / workdir.lstrip("/"), run_arguments(args)))
    return runs


def _shell_commands(run_args):
    """The `&&`/`;`-separated commands of a shell-form RUN, each as argv."""
    lexer = shlex.shlex(run_args, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    commands, current = [], []
    for token in lexer:
        if token in ("&&", ";", "||", "|"):
            commands.append(current)
            current = []
        else:
            current.append(token)
    return [c for c in commands + [current] if c]


INSTALL_SCRIPT = "scripts/install.sh"


def project_install(runs):
    """(workdir, argv) of the RUN command that installs the environment and the project: the one install recipe,
    `bash scripts/install.sh --runtime` (what CI runs, without the test tools)."""
    for workdir, args in runs:
        for argv in _shell_commands(args):
            words = [w for w in argv if "=" not in w or w.startswith("-")]  # without VAR=value prefixes
            if words[:2] == ["bash", INSTALL_SCRIPT]:
                return workdir, argv
    raise AssertionError(f"the Dockerfile has no RUN step running `bash {INSTALL_SCRIPT}`")


def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("TF_USE_LEGACY_KERAS", "PYTHONPATH", "PYTHONSTARTUP")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    return env


def setup_contents():
    """What setup.py declares (evaluated in the source tree, so find_packages() would list what *should* ship)."""
    code = (
        "import json, setuptools\n"
        "from distutils.core import run_setup\n"
        "d = run_setup('setup.py', stop_after='init')\n"
        "print(json.dumps({'packages': list(d.packages or []), 'py_modules': list(d.py_modules or []),\n"
        "                  'package_dir': dict(d.package_dir or {}), 'package_data': dict(d.package_data or {})}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=_clean_env(), capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def missing_from(folder, declared):
    """Packages, modules and package-data globs of setup.py absent from `folder`."""
    missing = []
    base = Path(folder) / declared["package_dir"].get("", "")
    for package in declared["packages"]:
        package_path = base / Path(*package.split("."))
        if not (package_path / "__init__.py").is_file():
            missing.append(package)
    for module in declared["py_modules"]:
        if not (base / (module.replace(".", "/") + ".py")).is_file():
            missing.append(module)
    for package, globs in declared["package_data"].items():
        for pattern in globs:
            if not list((base / Path(*package.split("."))).glob(pattern)):
                missing.append(f"{package}/{pattern}")
    return missing


# -------------------------------------------------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def declared():
    return setup_contents()


def test_the_image_installs_with_the_install_script_and_the_runtime_lock_only(tmp_path, declared):
    dockerfile = (REPO / "Dockerfile").read_text()
    workdir, argv = project_install(assemble_image(dockerfile, tmp_path))
    assert argv[-1] == "--runtime", argv
    assert missing_from(workdir, declared) == []
    assert "serving" in declared["packages"]
    environment = image_environment(dockerfile, {"PATH": "/usr/bin"})
    assert environment["PATH"] == environment["VIRTUAL_ENV"] + "/bin:/usr/bin"  # the image's python first
    assert environment["TF_CPP_MIN_LOG_LEVEL"] == "0"  # TensorFlow's own default: its C++ errors reach the logs


def test_the_beam_boot_is_the_locks_beam_version():
    """Dataflow runs the image through Beam's boot program, which must come from the Beam the lock installs."""
    froms = [shlex.split(args) for keyword, args in dockerfile_instructions((REPO / "Dockerfile").read_text())
             if keyword == "COPY" and args.startswith("--from=")]
    images = [parts[0].split("=", 1)[1] for parts in froms]
    assert images == [images[0]] and images[0].startswith("apache/beam_python3.11_sdk:"), images
    pin = re.search(r"^apache-beam(\[[^\]]*\])?==(\S+)$", (REPO / "requirements/lock.txt").read_text(), re.MULTILINE)
    assert images[0].split(":")[1] == pin.group(2)
    assert froms[0][1:] == ["/opt/apache/beam", "/opt/apache/beam"]
    assert ("ENTRYPOINT", '["/opt/apache/beam/boot"]') in dockerfile_instructions((REPO / "Dockerfile").read_text())


def test_the_old_dockerfile_fails_the_same_check(tmp_path, declared):
    assemble_image(OLD_DOCKERFILE, tmp_path)
    assert missing_from(tmp_path / "promo", declared) == ["serving"]


def test_image_holds_the_tracked_sources_and_none_of_the_local_state(tmp_path):
    workdir, _ = project_install(assemble_image((REPO / "Dockerfile").read_text(), tmp_path))
    in_image = {p.relative_to(workdir).as_posix() for p in workdir.rglob("*") if p.is_file()}
    for unwanted in (".venv", ".git", "runs", ".hypothesis", ".pytest_cache", "promo_tfx.egg-info"):
        assert not any(f == unwanted or f.startswith(unwanted + "/") for f in in_image), unwanted
    assert not any("__pycache__" in f.split("/") or f.endswith(".pyc") for f in in_image)
    if shutil.which("git") and (REPO / ".git").exists():
        tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
        wanted = {f for f in tracked if f not in ("Dockerfile", ".dockerignore") and (REPO / f).exists()}
        assert wanted - in_image == set()


@pytest.mark.parametrize("pattern, path, ignored", [
    ("**/__pycache__", "__pycache__/a.pyc", True),
    ("**/__pycache__", "trainer/__pycache__", True),
    ("**/__pycache__", "a/b/__pycache__", True),
    ("*.egg-info", "promo_tfx.egg-info/PKG-INFO", True),
    ("*.egg-info", "sub/x.egg-info", False),  # rooted, unlike .gitignore
    ("runs", "runs/tfx/metadata.sqlite", True),
    ("runs", "trainer/runs", False),
    ("**/*.py[cod]", "data/x.pyc", True),
    ("**/*.py[cod]", "data/x.py", False),
    ("/build", "build/lib/x.py", True),
    ("docs/*.md", "docs/a/b.md", False),  # * does not cross /
])
def test_dockerignore_matching_follows_dockers_rules(pattern, path, ignored):
    assert excluded(path, dockerignore_rules(pattern)) is ignored


def test_dockerignore_exceptions_last_match_wins():
    rules = dockerignore_rules("*.md\n!README.md\n")
    assert is_ignored("CHANGES.md", rules) and not is_ignored("README.md", rules)


def test_tf_use_legacy_keras_is_set_in_one_place(tmp_path):
    """promo_env.py sets it; the Dockerfile defines no ENV/ARG for it but makes every Python process import promo_env."""
    dockerfile = (REPO / "Dockerfile").read_text()
    for keyword, args in dockerfile_instructions(dockerfile):
        if keyword in ("ENV", "ARG"):
            assert "TF_USE_LEGACY_KERAS" not in args, (keyword, args)
    runs = assemble_image(dockerfile, tmp_path)
    workdir, _ = project_install(runs)
    setter = re.compile(r"""environ(\.setdefault\(|\[)\s*["']TF_USE_LEGACY_KERAS|(export\s+|^\s*)TF_USE_LEGACY_KERAS=""",
                        re.MULTILINE)
    setters = sorted(p.relative_to(workdir).as_posix() for p in workdir.rglob("*")
                     if p.suffix in (".py", ".sh", ".cfg", ".toml") and setter.search(p.read_text(errors="replace")))
    assert setters == ["promo_env.py"]

    # The start-up hook, as the Dockerfile's RUN writes it, in a throwaway environment standing in for the image.
    hooks = [argv for wd, args in runs for argv in _shell_commands(args)
             if argv[:1] and argv[0].startswith("python") and "-c" in argv and "promo_env" in argv[argv.index("-c") + 1]]
    assert len(hooks) == 1, hooks
    env_dir = tmp_path / "image-python"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = str(env_dir / ("Scripts" if os.name == "nt" else "bin") / "python")
    hook = hooks[0]
    subprocess.run([python, *hook[1:]], cwd=workdir, env=_clean_env(), check=True, timeout=60)
    probe = "import os, sys; print(os.environ.get('TF_USE_LEGACY_KERAS'), 'promo_env' in sys.modules)"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    seen = subprocess.run([python, "-c", probe], cwd=elsewhere, env=_clean_env(), capture_output=True, text=True,
                          check=True, timeout=60)
    assert seen.stdout.split() == ["1", "True"], seen.stderr
    overridden = subprocess.run([python, "-c", probe], cwd=elsewhere, env=_clean_env(TF_USE_LEGACY_KERAS="0"),
                                capture_output=True, text=True, check=True, timeout=60)
    assert overridden.stdout.split() == ["0", "True"], overridden.stderr
