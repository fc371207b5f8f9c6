"""Every write on certificates: issuance helpers, rendering and signing, lifecycle."""
