"""The images and workloads of one session, each made once and shared by every stage."""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path

from accel.inputs.images import EncodedImage, image_source
from accel.inputs.workloads import DigitsWorkload, LabelledFiles, PhotoWorkload, Workload
from accel.matrix import DIGITS_MODELS, native_input_size


class Workset:
    """The photo set (or `images_dir`) and one workload per (model, input size)."""

    def __init__(
        self,
        images_dir: str | Path | None = None,
        on_bad_image: str = "fail",
        validation: LabelledFiles | None = None,
        checked_images: list[EncodedImage] | None = None,
    ) -> None:
        self.images_dir = images_dir
        self.on_bad_image = on_bad_image
        self.validation = validation
        self._checked_images = checked_images
        self._workloads: dict[tuple[str, int], Workload] = {}

    @cached_property
    def images(self) -> list[EncodedImage]:
        """The photos checked at startup when the suite did so (no second decode, no repeated warnings)."""
        if self._checked_images is not None:
            return self._checked_images
        return image_source(self.images_dir, self.on_bad_image)

    @cached_property
    def images_sha256(self) -> str:
        """Identifies the photo set in the keys of artifacts made from it (weights, calibration)."""
        digest = hashlib.sha256()
        for image in self.images:
            digest.update(hashlib.sha256(image.data).digest())
        return digest.hexdigest()

    def workload(self, model: str, input_size: int | None = None) -> Workload:
        size = input_size or native_input_size(model)
        if (model, size) not in self._workloads:
            if model in DIGITS_MODELS:
                self._workloads[(model, size)] = DigitsWorkload(model, size)
            else:
                self._workloads[(model, size)] = PhotoWorkload(model, size, self.images, self.validation)
        return self._workloads[(model, size)]
