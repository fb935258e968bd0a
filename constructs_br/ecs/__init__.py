"""constructs_br.ecs."""
