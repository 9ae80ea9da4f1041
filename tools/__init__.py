"""Tools kept out of the product: benchmarks, the demo, the module-move script. The CLI imports them lazily."""
