"""Model profiles (`profiles`), loading (`loading`) and toy-size builders (`tiny`)."""
