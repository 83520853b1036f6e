"""The annotator's page, one concept per module: access (who holds the link), answers (the
callbacks that write), item (one item's layout), compare (the flicker aid), layout (the CSS
that makes an item fit a laptop screen), guidelines and history."""
