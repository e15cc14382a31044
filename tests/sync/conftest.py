import pytest


@pytest.fixture(autouse=True)
def _tokens(token_keyring):
    """Target tokens go to the test's own keyring folder in every test here."""
