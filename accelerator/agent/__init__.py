"""The conversation: a LangGraph StateGraph over the core, its turns stored in the memory."""
