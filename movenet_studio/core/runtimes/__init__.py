"""The inference runtimes' own floor: the only place in the project that imports a runtime library.

* :mod:`.litert`: LiteRT (``ai-edge-litert``), with ``tflite-runtime`` as the fallback: the
  Interpreter class, its op resolvers, the flatbuffer schema, the version, interpreter creation.
* :mod:`.ort`: ONNX Runtime: import, version, execution providers (listing, short names,
  preference order), session options and session creation, tensor element types.
* :mod:`.tensors`: feeding a model's input tensor (quantisation, layout) and dequantising its outputs.

Backends (:mod:`~movenet_studio.core.backends`), model-file reading, the pose classifier's
runners, layer capture and bench build on these functions; nothing else imports ``onnxruntime``,
``ai_edge_litert`` or ``tflite_runtime``. Quantisation tools (``onnxruntime.quantization``,
``ai-edge-quantizer``) are not runtimes and may be imported where quantisation lives.
"""
