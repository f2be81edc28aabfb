"""The conversation as a LangGraph `StateGraph`:

    load -> govern -> render -> publish -> wait --(interrupt / Command(resume=turn))--> interpret
    interpret -> apply | undo | publish;  apply, undo -> govern | publish;  govern -> render -> publish

`load` runs once per thread (its first checkpoint); after that every human turn resumes `wait`.
Parsing is part of `govern` because the core's `govern_inputs` parses and governs in one pure call
(cached per sources digest, see `derived.py`). Side effects happen only in `publish` (messages and
files in the memory) and in the channel after the turn's transaction commits (see `session.py`).
"""

from __future__ import annotations

import threading
from typing import Any

from langgraph.graph import START, StateGraph

from accelerator.agent import nodes
from accelerator.agent.nodes import AgentContext
from accelerator.agent.state import ConversationState

GraphBuilder = StateGraph[ConversationState, AgentContext, ConversationState, ConversationState]

_compiled: Any = None
_compiled_lock = threading.Lock()


def build_graph() -> GraphBuilder:
    """The uncompiled graph; compile it with the turn's checkpointer."""
    graph: GraphBuilder = StateGraph(ConversationState, context_schema=AgentContext)
    graph.add_node("load", nodes.load)
    graph.add_node("govern", nodes.govern)
    graph.add_node("render", nodes.render)
    graph.add_node("publish", nodes.publish)
    graph.add_node("wait", nodes.wait)
    graph.add_node("interpret", nodes.interpret)
    graph.add_node("apply", nodes.apply)
    graph.add_node("undo", nodes.undo)
    graph.add_edge(START, "load")
    graph.add_edge("load", "govern")
    graph.add_edge("govern", "render")
    graph.add_edge("render", "publish")
    graph.add_edge("publish", "wait")
    graph.add_edge("wait", "interpret")
    graph.add_conditional_edges("interpret", nodes.after_interpret, ["apply", "undo", "publish"])
    graph.add_conditional_edges("apply", nodes.after_change, ["govern", "publish"])
    graph.add_conditional_edges("undo", nodes.after_change, ["govern", "publish"])
    return graph


def compiled_graph() -> Any:
    """The graph compiled without a checkpointer, once per process (compiling costs about 20 ms) and
    shared by every session and thread: a compiled graph keeps no run state (each `invoke` makes its
    own channels and tasks), and each turn runs a `copy` of it bound to its own connection's
    checkpointer (`ConversationSession._graph`)."""
    global _compiled
    if _compiled is None:
        with _compiled_lock:
            if _compiled is None:
                _compiled = build_graph().compile()
    return _compiled
