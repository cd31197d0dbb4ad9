"""Stage 5: pure rendering. A fleet (with its resolution and settings) becomes a list of RenderedFile values;
nothing here touches the disk (see compiler.emit for that)."""
