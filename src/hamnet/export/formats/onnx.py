"""ONNX (`torch.onnx.export` from the traced program), run by onnxruntime; the run's
metadata in the model's `metadata_props`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .base import Format, Runner

#: The opset written: ONNX 1.16+ runtimes (onnxruntime 1.18+) read it.
OPSET = 18


class Onnx(Format):
    name, suffix = "onnx", ".onnx"
    default_name = "field.onnx"
    packages = ("onnx", "onnxscript", "onnxruntime")

    def write(self, program: torch.export.ExportedProgram, path: Path, metadata: dict[str, str]) -> None:
        import onnx

        exported = torch.onnx.export(program, input_names=["x"], output_names=["dxdt"], opset_version=OPSET,
                                     dynamo=True, external_data=False, verbose=False)
        model = exported.model_proto
        for key, value in metadata.items():
            model.metadata_props.add(key=key, value=value)
        onnx.save_model(model, str(path))

    def load(self, path: Path) -> Runner:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return lambda x: session.run(None, {"x": np.ascontiguousarray(x)})[0]
