"""dbml ERD format: reads its text into the model and patches it."""
