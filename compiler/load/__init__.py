"""Stage 1 of the pipeline: files on disk → located documents (plain data plus a way back to line:column)."""
