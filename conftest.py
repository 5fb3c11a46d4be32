"""pytest setup shared by every test: TensorFlow's environment before anything imports it."""
import promo_env  # noqa: F401
