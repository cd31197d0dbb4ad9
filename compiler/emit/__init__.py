"""Stage 6: the only stage that writes. Rendered values become bytes (:mod:`.yamlout`) and rendered/ is replaced
atomically, pruned, or checked against them (:mod:`.tree`)."""
