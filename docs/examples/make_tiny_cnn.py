#!/usr/bin/python3
"""Builds docs/examples/tiny_cnn.onnx and tiny_cnn.pt (the same model traced with TorchScript),
the example models the README's demo runs kiln on.

A small image classifier (Conv/BatchNorm/ReLU/pool/Linear) with a dynamic batch axis and the
metadata_props downstream runtimes read (input normalisation, class names). Random weights,
BatchNorm statistics set by a few training-mode passes so outputs have real magnitude.
"""
import sys

import onnx
import torch
from torch import nn


class TinyCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Linear(16, 10)

    def forward(self, image):
        return torch.softmax(self.classifier(torch.flatten(self.features(image), 1)), dim=1)


def main(out_path):
    torch.manual_seed(0)
    model = TinyCnn()
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(8, 3, 32, 32))
    model.eval()
    torch.onnx.export(model, torch.randn(1, 3, 32, 32), out_path, opset_version=13,
                      input_names=["image"], output_names=["probabilities"],
                      dynamic_axes={"image": {0: "batch"}, "probabilities": {0: "batch"}})
    torch.jit.trace(model, torch.randn(1, 3, 32, 32)).save(out_path[:-len(".onnx")] + ".pt")
    m = onnx.load(out_path)
    for key, value in [("model_name", "tiny_cnn"), ("mean", "0.485,0.456,0.406"),
                       ("std", "0.229,0.224,0.225"), ("classes", ",".join(f"class{i}" for i in range(10)))]:
        m.metadata_props.add(key=key, value=value)
    m.doc_string = "Example classifier bundled with kiln (random weights)."
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, out_path)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tiny_cnn.onnx")
