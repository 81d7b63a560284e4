"""The render pipeline: request, kernels, execute, export, write."""
