"""The render pipeline's layer: a request resolved once, then rendered, logged, published."""
