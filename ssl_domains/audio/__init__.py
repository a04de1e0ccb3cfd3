"""The audio modality: reading and signal processing, the audio domain base, audio tasks."""
