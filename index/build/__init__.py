"""Documents and chunks → a built index: passages embedded (cached by content), the corpus's names
mined, the model's language bias measured, all written by `pipeline.build_index`."""
