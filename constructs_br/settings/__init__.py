"""constructs_br.settings."""
