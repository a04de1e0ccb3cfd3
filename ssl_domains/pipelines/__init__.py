"""Whole runs, as the CLI starts them: pretrain, finetune, corpus inspection."""
