"""Identity: sign-in with Spotify, sessions, the token vault, member accounts and the audit log."""
