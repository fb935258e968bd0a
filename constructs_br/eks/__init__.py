"""constructs_br.eks."""
