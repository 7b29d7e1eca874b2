{
  "targets": [
    {
      "target_name": "tensor_core_native",
      "sources": ["src/addon.cc", "src/blas.cc", "src/pool.cc", "src/adamw.cc", "src/int8.cc", "src/row_split.cc", "src/rows_dot.cc", "src/rows_dot_wide.cc", "src/decode_attention.cc", "src/batched_gemm.cc", "src/split_gemm.cc", "src/cross_entropy.cc", "src/loss_bindings.cc", "src/rms_norm.cc", "src/silu_gate.cc", "src/rotary.cc", "src/training_bindings.cc", "src/attention_train.cc", "src/attention_bindings.cc", "src/kernel_bindings.cc", "src/routed_mix.cc", "src/routed_mix_bindings.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-fvisibility=hidden", "-ffp-contract=off", "-fno-math-errno", "-pthread"],
      "ldflags": ["-pthread"],
      "cflags_cc!": ["-fno-exceptions"],
      "conditions": [
        ["OS=='linux'", { "libraries": ["-ldl"] }],
        ["OS=='mac'", {
          "xcode_settings": {
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-fvisibility=hidden", "-ffp-contract=off", "-fno-math-errno"],
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }],
        ["OS=='win'", {
          "msvs_settings": { "VCCLCompilerTool": { "Optimization": 2, "AdditionalOptions": ["/std:c++17"] } }
        }]
      ]
    }
  ]
}
