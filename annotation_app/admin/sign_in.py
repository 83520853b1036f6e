"""The admin page's door: disabled without a safe password, then a throttled sign-in form.

The password comes from the settings (HANDSOFF_ADMIN_PASSWORD) and is compared in constant
time. Signing in is remembered per browser session only.
"""

from __future__ import annotations

import hmac
import math

import streamlit as st

from annotation_app import resources
from annotation_app.admin.throttle import UNKNOWN_CLIENT, Refusal, SignInThrottle, ThrottlePolicy
from db.settings import MIN_ADMIN_PASSWORD_CHARS

KEY = "admin_"  # prefix of the admin page's session-state and widget keys
TITLE = "Study administration"


@st.cache_resource(show_spinner=False)
def throttle() -> SignInThrottle:
    """One per server process, shared by every browser session: a new tab does not
    start the count afresh."""
    return SignInThrottle(ThrottlePolicy.from_settings(resources.settings()))


def client_key() -> str:
    address = st.context.ip_address
    # anything but an address string (no connection: tests, bare runs) shares one key
    return address if isinstance(address, str) and address else UNKNOWN_CLIENT


def refuse_unsafe_password() -> None:
    """Stop with a page saying why when the admin password may not be used."""
    problem = resources.settings().admin_password_problem()
    if problem is None:
        return
    st.title(TITLE)
    st.error(
        f"The admin page is disabled: {problem}. The page shows every annotator's answers "
        f"unblinded, so it needs a password of at least {MIN_ADMIN_PASSWORD_CHARS} "
        "characters other than the demo's."
    )
    st.markdown(
        "Set `HANDSOFF_ADMIN_PASSWORD` in the environment of `handsoff app` (or in its `.env` "
        "file) and restart it; for the demo, run it with `HANDSOFF_ENVIRONMENT=demo`."
    )
    st.stop()


def refusal_message(refusal: Refusal) -> str:
    wait = math.ceil(refusal.retry_after)
    if refusal.locked_out:
        minutes = math.ceil(refusal.retry_after / 60)
        return (
            f"Too many failed sign-ins: signing in is locked for about {minutes} min "
            "(the attempts are logged)."
        )
    return f"Wrong password. Wait {wait} s before trying again."


def password_matches(password: str) -> bool:
    expected = resources.settings().admin_password.get_secret_value()
    # an empty expected password never matches, even where the page is not disabled
    return bool(expected) and hmac.compare_digest(password.encode(), expected.encode())


def require_sign_in() -> None:
    """Return when this browser session is signed in; otherwise draw the form and stop."""
    if st.session_state.get(f"{KEY}signed_in"):
        return
    st.title(TITLE)
    column, _ = st.columns([1, 2])  # a password field need not span a wide screen
    with column, st.form(f"{KEY}sign_in"):
        password = st.text_input("Admin password", type="password", key=f"{KEY}password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        client = client_key()
        refusal = throttle().begin_attempt(client)
        if refusal is not None:  # not even compared: a guess during the wait tells nothing
            column.error(refusal_message(refusal))
            st.stop()
        if password_matches(password):
            throttle().succeeded(client)
            st.session_state[f"{KEY}signed_in"] = True
            st.session_state.pop(f"{KEY}password", None)
            st.rerun()
        refusal = throttle().failed(client)
        column.error(refusal_message(refusal) if refusal is not None else "Wrong password.")
    st.stop()


def sign_out_button() -> None:
    if st.button("Sign out", key=f"{KEY}sign_out"):
        st.session_state.pop(f"{KEY}signed_in", None)
        st.rerun()
