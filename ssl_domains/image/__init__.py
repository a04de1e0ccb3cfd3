"""The image modality: records as PNG in shards (encoders, views and recipes: step 7, part 2)."""
