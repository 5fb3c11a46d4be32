"""The REST contract of a pushed model: request bodies, replies, and an in-process stand-in for TF Serving."""
