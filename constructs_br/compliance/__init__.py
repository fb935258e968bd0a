"""constructs_br.compliance."""
