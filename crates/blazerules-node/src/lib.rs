// napi glue: see the helper
