"""Stage 2: typed, validated objects. Every model forbids unknown keys; every kind maps to one JSON Schema."""
