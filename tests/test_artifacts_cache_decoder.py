"""Artifacts made from decoded photos are keyed on the decoder version: a decoding change (16-bit,
transparency) rebuilds them even though the photos' bytes, and so images_sha256, did not change."""

from types import SimpleNamespace

import numpy as np

from accel.artifacts.cache import ArtifactCache, cache_key
from accel.artifacts.int8 import Int8Artifacts
from accel.artifacts.memo import MemoCache
from accel.artifacts.weights import recalibrated_fields
from accel.inputs import color

SAMPLE_SHAPE = (3, 8, 8)


class PhotoWorkset:
    """The part of a Workset that a calibration set reads: a photo hash and a small workload."""

    images_sha256 = "photos"

    def workload(self, model, input_size=None):
        inputs = np.random.default_rng(0).random((16, *SAMPLE_SHAPE), dtype=np.float32)
        return SimpleNamespace(sample_shape=SAMPLE_SHAPE, calibration_inputs=lambda size: inputs[:size])


def calibration_entry(root):
    return Int8Artifacts(MemoCache(ArtifactCache(root)), PhotoWorkset(), None, "minmax", 8).calibration_entry("resnet18")


def test_recalibrated_weights_key_holds_the_decoder_version(monkeypatch):
    before = cache_key(recalibrated_fields("resnet18", 0, "photos"))
    monkeypatch.setattr(color, "DECODER_VERSION", color.DECODER_VERSION + 1)
    assert cache_key(recalibrated_fields("resnet18", 0, "photos")) != before


def test_photo_calibration_set_is_rebuilt_when_the_decoder_changes(tmp_path, monkeypatch):
    first = calibration_entry(tmp_path)
    assert not calibration_entry(tmp_path).built  # same decoder: reused
    monkeypatch.setattr(color, "DECODER_VERSION", color.DECODER_VERSION + 1)
    changed = calibration_entry(tmp_path)
    assert changed.built and changed.path != first.path
