{
  "targets": [
    {
      "target_name": "tensor_core_native",
      "sources": ["src/sgemm.cc"],
      "cflags_cc": ["-O2", "-std=c++17"],
      "libraries": ["-ldl"]
    }
  ]
}
