"""constructs_br.logs."""
