"""The order-preserving ExampleGen executor: same records, same order, same artifact properties; bad input named."""
import gzip
import os

import pytest
import tensorflow as tf
from tfx.components.util import examples_utils
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_artifacts, standard_component_specs
from tfx.utils import proto_utils

from pipeline.example_gen import OrderPreservingExecutor, OrderPreservingImportExampleGen


def _example(index: int) -> bytes:
    return tf.train.Example(features=tf.train.Features(feature={
        "row": tf.train.Feature(int64_list=tf.train.Int64List(value=[index]))})).SerializeToString()


def _write(path: str, records) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path, options="GZIP") as writer:
        for record in records:
            writer.write(record)


def _read(split_dir: str):
    files = sorted(tf.io.gfile.glob(os.path.join(split_dir, "*")))
    return [bytes(r.numpy()) for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]


def _run(input_base: str, output_uri: str, split_patterns: dict, hash_split: bool = False):
    examples = standard_artifacts.Examples()
    examples.uri = output_uri
    input_config = example_gen_pb2.Input(
        splits=[example_gen_pb2.Input.Split(name=name, pattern=pattern) for name, pattern in split_patterns.items()])
    output_config = example_gen_pb2.Output()
    if hash_split:
        output_config.split_config.splits.add(name="train", hash_buckets=1)
    OrderPreservingExecutor().Do({}, {standard_component_specs.EXAMPLES_KEY: [examples]}, {
        standard_component_specs.INPUT_BASE_KEY: input_base,
        standard_component_specs.INPUT_CONFIG_KEY: proto_utils.proto_to_json(input_config),
        standard_component_specs.OUTPUT_CONFIG_KEY: proto_utils.proto_to_json(output_config),
        standard_component_specs.OUTPUT_DATA_FORMAT_KEY: example_gen_pb2.FORMAT_TF_EXAMPLE,
    })
    return examples


def test_each_split_keeps_its_records_in_file_then_record_order(tmp_path):
    train = [_example(i) for i in range(500)]
    _write(str(tmp_path / "in/train/b.tfrecord.gz"), train[300:])  # file names, not write order, set the order
    _write(str(tmp_path / "in/train/a.tfrecord.gz"), train[:300])
    _write(str(tmp_path / "in/eval/examples.tfrecord.gz"), [_example(-i) for i in range(7)])
    examples = _run(str(tmp_path / "in"), str(tmp_path / "out"),
                    {"train": "train/*.tfrecord.gz", "eval": "eval/*.tfrecord.gz"})
    assert artifact_utils.decode_split_names(examples.split_names) == ["train", "eval"]
    assert _read(artifact_utils.get_split_uri([examples], "train")) == train
    assert _read(artifact_utils.get_split_uri([examples], "eval")) == [_example(-i) for i in range(7)]
    assert sorted(os.listdir(artifact_utils.get_split_uri([examples], "train"))) == [
        "data_tfrecord-00000-of-00002.gz", "data_tfrecord-00001-of-00002.gz"]  # ExampleGen's own shard names
    assert examples_utils.get_payload_format(examples) == example_gen_pb2.FORMAT_TF_EXAMPLE
    assert examples_utils.get_file_format(examples) == "tfrecords_gzip"


def test_a_corrupt_file_is_named_and_nothing_of_its_split_is_copied(tmp_path):
    _write(str(tmp_path / "in/train/a.tfrecord.gz"), [_example(i) for i in range(50)])
    with gzip.open(tmp_path / "in/train/b.tfrecord.gz", "wb") as handle:
        handle.write(b"\x10\x00\x00\x00\x00\x00\x00\x00not a record")  # a length prefix with a wrong checksum
    with pytest.raises(ValueError, match="b.tfrecord.gz: not a readable gzipped TFRecord file"):
        _run(str(tmp_path / "in"), str(tmp_path / "out"), {"train": "train/*.tfrecord.gz"})
    assert not (tmp_path / "out" / "Split-train").exists()


def test_a_truncated_file_is_named_with_the_reason(tmp_path):
    path = tmp_path / "in/train/examples.tfrecord.gz"
    _write(str(path), [_example(i) for i in range(2000)])
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError, match=r"examples.tfrecord.gz: not a readable gzipped TFRecord file \(truncated"):
        _run(str(tmp_path / "in"), str(tmp_path / "out"), {"train": "train/*.tfrecord.gz"})


def test_a_split_of_empty_files_is_refused(tmp_path):
    _write(str(tmp_path / "in/train/a.tfrecord.gz"), [])
    with pytest.raises(ValueError, match="no examples in .*a.tfrecord.gz"):
        _run(str(tmp_path / "in"), str(tmp_path / "out"), {"train": "train/*.tfrecord.gz"})


def test_a_split_without_files_names_split_and_pattern(tmp_path):
    _write(str(tmp_path / "in/train/a.tfrecord.gz"), [_example(0)])
    with pytest.raises(ValueError, match=r"split 'test': no file matches .*in/test/\*\.tfrecord\.gz"):
        _run(str(tmp_path / "in"), str(tmp_path / "out"),
             {"train": "train/*.tfrecord.gz", "test": "test/*.tfrecord.gz"})


def test_hash_splitting_is_refused_rather_than_ignored(tmp_path):
    _write(str(tmp_path / "in/all/a.tfrecord.gz"), [_example(0)])
    with pytest.raises(ValueError, match="does not hash-split"):
        _run(str(tmp_path / "in"), str(tmp_path / "out"), {"all": "all/*.tfrecord.gz"}, hash_split=True)


def test_the_component_is_import_example_gen_with_this_executor():
    component = OrderPreservingImportExampleGen(input_base="/data")
    assert component.executor_spec.executor_class is OrderPreservingExecutor
    assert "examples" in component.outputs
