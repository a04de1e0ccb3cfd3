"""The image modality: reading, the image domain base, shard records, views (encoders and
recipes come with MAE and SimCLR)."""
