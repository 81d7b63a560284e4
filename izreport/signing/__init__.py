"""Digital signatures of final PDFs, and specimen stamps for trying them."""
