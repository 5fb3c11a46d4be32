"""The Pusher executor pushes like TFX's, except the model that is already the newest pushed version."""
import os

from tfx.proto import pusher_pb2
from tfx.types import standard_artifacts
from tfx.utils import proto_utils

from pipeline.pusher import UnchangedModelExecutor


def _model(root, name, weights):
    """A Model artifact whose Format-Serving folder holds a saved_model.pb and ``weights``."""
    model = standard_artifacts.Model()
    model.uri = os.path.join(root, name)
    serving = os.path.join(model.uri, "Format-Serving", "variables")
    os.makedirs(serving)
    open(os.path.join(serving, "..", "saved_model.pb"), "wb").write(b"graph")
    open(os.path.join(serving, "variables.data-00000-of-00001"), "wb").write(weights)
    return model


def _push(root, model, serving_dir, blessed=1):
    blessing = standard_artifacts.ModelBlessing()
    blessing.uri = os.path.join(root, "blessing")
    blessing.set_int_custom_property("blessed", blessed)
    pushed = standard_artifacts.PushedModel()
    pushed.uri = os.path.join(root, f"pushed-{model.uri.rsplit('/', 1)[1]}-{len(os.listdir(root))}")
    destination = pusher_pb2.PushDestination(filesystem=pusher_pb2.PushDestination.Filesystem(base_directory=serving_dir))
    UnchangedModelExecutor().Do(
        {"model": [model], "model_blessing": [blessing]}, {"pushed_model": [pushed]},
        {"push_destination": proto_utils.proto_to_json(destination)},
    )
    return pushed


def test_the_served_model_is_not_pushed_again_but_a_changed_one_is(tmp_path):
    root, serving = str(tmp_path), str(tmp_path / "serving")
    first, second = _model(root, "first", b"weights-1"), _model(root, "second", b"weights-2")
    pushed = _push(root, first, serving)
    (version,) = os.listdir(serving)
    assert pushed.get_int_custom_property("pushed") == 1

    again = _push(root, first, serving)  # blessed again, unchanged: recorded as the version already served
    assert os.listdir(serving) == [version] and again.get_int_custom_property("pushed") == 1
    assert again.get_string_custom_property("pushed_destination") == os.path.join(serving, version)
    assert not os.path.exists(again.uri)  # nothing archived either

    os.rename(os.path.join(serving, version), os.path.join(serving, str(int(version) - 10)))  # versions are seconds
    _push(root, second, serving)
    assert len(os.listdir(serving)) == 2  # a changed model is pushed
    assert _push(root, second, serving, blessed=0).get_int_custom_property("pushed") == 0
    assert len(os.listdir(serving)) == 2
