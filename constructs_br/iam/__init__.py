"""constructs_br.iam."""
