"""constructs_br.images."""
