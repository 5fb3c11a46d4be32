"""ImportExampleGen that keeps the prepared examples in their order, so one seed gives one model.

TFX's own ImportExampleGen executor decodes every record and writes each split through ``beam.Reshuffle``
(``tfx/components/example_gen/write_split.py``). Reshuffle keys each record with a random 32-bit number and groups
by it. Beam's local runner hands the groups back in the order it first saw their keys, so the order survives
unless two records draw the same key. Then the second record moves up next to the first. The chance of that is
about 1 - exp(-n^2 / 2^33) for a split of n records: 19% for the 42K-example synthetic train split, near 100% for
ML-100K's. The result is the same examples in another order, so the seeded shuffle gives other batches and another
model. On a distributed runner the order is arbitrary anyway.

The prepared splits (``data/prepare.py``) already are gzipped TFRecord files of typed tf.Examples. So this executor
copies them file by file, in sorted file order, into the artifact's ``Split-<name>`` folders. It keeps the
component's spec, driver (spans, fingerprints, caching) and artifact properties. Before copying a file it counts
the file's records, which reads every record's length and checksum: a truncated or corrupt file fails here with
its name, before anything is copied, instead of part-way through a later component.
"""
from __future__ import annotations

import os
import re
from typing import Any, Dict, List

import numpy as np
import tensorflow as tf
from absl import logging
from tfx import types
from tfx.components.example_gen import utils, write_split
from tfx.components.util import examples_utils
from tfx.dsl.components.base import base_beam_executor, executor_spec
from tfx.dsl.io import fileio
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import proto_utils
from tfx.v1.components import ImportExampleGen


def count_records(path: str) -> int:
    """The number of records in one gzipped TFRecord file; a ValueError naming ``path`` if it cannot be read."""
    try:
        dataset = tf.data.TFRecordDataset(path, compression_type="GZIP")
        return int(dataset.reduce(np.int64(0), lambda count, _: count + 1))
    except (tf.errors.DataLossError, tf.errors.InvalidArgumentError, tf.errors.OutOfRangeError) as error:
        reason = re.sub(r"\s*\[Op:.*$", "", re.sub(r"\{\{.*?\}\}\s*", "", error.message)).strip()  # TF's op noise
        raise ValueError(f"{path}: not a readable gzipped TFRecord file ({reason})") from None


def split_files(input_base: str, split: example_gen_pb2.Input.Split) -> List[str]:
    """The files of one input split, sorted; a ValueError naming the split and pattern if none match."""
    pattern = os.path.join(input_base, split.pattern)
    files = sorted(fileio.glob(pattern))
    if not files:
        raise ValueError(f"ExampleGen split {split.name!r}: no file matches {pattern}")
    return files


def copy_split(files: List[str], split_dir: str) -> int:
    """Copies ``files`` in order into ``split_dir`` under ExampleGen's shard names; returns the record count.

    Every file is read before the first is copied; a ValueError names a file that cannot be read, or the files
    if they hold no record at all.
    """
    counts = [count_records(path) for path in files]
    if not sum(counts):
        raise ValueError(f"ExampleGen: no examples in {', '.join(files)}")
    fileio.makedirs(split_dir)
    for index, path in enumerate(files):
        shard = f"{write_split.DEFAULT_FILE_NAME}-{index:05d}-of-{len(files):05d}.gz"
        fileio.copy(path, os.path.join(split_dir, shard), overwrite=True)
    return sum(counts)


class OrderPreservingExecutor(base_beam_executor.BaseBeamExecutor):
    """Copies each pre-split input split of gzipped tf.Example TFRecords into the Examples artifact, in order.

    A Beam executor only because ExampleGen is a Beam component (it must be to take the pipeline's Beam args); the
    copy needs no Beam pipeline.
    """

    def Do(self, input_dict: Dict[str, List[types.Artifact]], output_dict: Dict[str, List[types.Artifact]],
           exec_properties: Dict[str, Any]) -> None:
        input_config = example_gen_pb2.Input()
        proto_utils.json_to_proto(exec_properties[standard_component_specs.INPUT_CONFIG_KEY], input_config)
        output_config = example_gen_pb2.Output()
        proto_utils.json_to_proto(exec_properties[standard_component_specs.OUTPUT_CONFIG_KEY], output_config)
        if output_config.split_config.splits:
            raise ValueError("This ExampleGen copies splits that are already made (input_config splits); "
                             "it does not hash-split one input (output_config.split_config)")
        split_names = utils.generate_output_split_names(input_config, output_config)
        examples = artifact_utils.get_single_instance(output_dict[standard_component_specs.EXAMPLES_KEY])
        examples.split_names = artifact_utils.encode_split_names(split_names)
        input_base = exec_properties[standard_component_specs.INPUT_BASE_KEY]
        for split in input_config.splits:
            files = split_files(input_base, split)
            count = copy_split(files, artifact_utils.get_split_uri([examples], split.name))
            logging.info("ExampleGen split %s: %d examples from %d file(s), order kept", split.name, count, len(files))
        payload_format = exec_properties.get(standard_component_specs.OUTPUT_DATA_FORMAT_KEY)
        examples_utils.set_payload_format(examples, payload_format or example_gen_pb2.FORMAT_TF_EXAMPLE)
        examples_utils.set_file_format(examples, write_split.to_file_format_str(example_gen_pb2.FORMAT_TFRECORDS_GZIP))


class OrderPreservingImportExampleGen(ImportExampleGen):
    """ImportExampleGen (same spec, driver and outputs) whose executor keeps each split's example order."""

    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(OrderPreservingExecutor)
