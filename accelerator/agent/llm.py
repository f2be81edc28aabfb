"""Free text -> EditOps through an LLM's tool calls, when one is configured.

The tools are the registered edit classes themselves (`accelerator.edit.operations.OPERATIONS`:
their JSON schemas and docstrings), so the model can only propose typed edits; each call is
validated exactly like grammar output, and nothing else the model says is ever executed. The model
is asked before the turn's transaction and lock (`propose_turn`, called by the session): a slow
model holds neither; the agent then validates and resolves the proposal inside the turn. Any chat model with LangChain's `bind_tools` works (tests use
langchain_core's scripted fake model). `OpenAICompatibleChatModel` talks to any OpenAI-compatible
endpoint with httpx, including Databricks Model Serving with databricks-sdk authentication;
`langchain_openai` is not required.

Configuration, from the environment:
- `ACCELERATOR_LLM_BASE_URL` (e.g. https://api.openai.com/v1), `ACCELERATOR_LLM_MODEL`,
  `ACCELERATOR_LLM_API_KEY` (or `OPENAI_API_KEY`); or
- `ACCELERATOR_LLM_DATABRICKS_ENDPOINT`: a Model Serving endpoint name, with unified Databricks auth.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import httpx
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.messages.utils import convert_to_openai_messages
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ValidationError

from accelerator.agent.derived import DerivedCache, Inputs
from accelerator.agent.limits import MAX_MESSAGE_CHARS
from accelerator.agent.state import ConversationState, Turn
from accelerator.edit.commands import parse_commands
from accelerator.edit.operation import EditBase
from accelerator.edit.operations import OPERATIONS
from accelerator.errors import AcceleratorError
from accelerator.model import Project

# The tools are the registered edits, by class name (what the model calls).
EDIT_TOOLS: tuple[type[EditBase], ...] = tuple(OPERATIONS.values())
TOOLS_BY_NAME: dict[str, type[EditBase]] = {tool.__name__: tool for tool in EDIT_TOOLS}
MAX_LISTED_TABLES = 200

SYSTEM_PROMPT = """You turn a reviewer's request about a Databricks Unity Catalog data model into edits.
Call one tool per edit, in order. Use only the tables and columns listed. If the request asks for
nothing you can express with the tools, call no tool. The model:
{model}"""


class LlmError(AcceleratorError):
    """The LLM could not be asked, or proposed something that is not a valid edit."""


class ToolCallingModel(Protocol):
    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[Any, Any]: ...


def model_outline(project: Project) -> str:
    """The tables and columns, one line per table: what the model may name."""
    lines = []
    for catalog, schema, table in project.iter_tables()[:MAX_LISTED_TABLES]:
        columns = ", ".join(f"{c.name} {c.type}" for c in table.columns)
        lines.append(f"- {catalog.name}.{schema.name}.{table.name}: {columns}")
    return "\n".join(lines)


def propose_edits(model: ToolCallingModel, text: str, project: Project) -> list[EditBase]:
    """Ask the model for edits; every tool call must validate as an EditOp, else `LlmError`."""
    bound = model.bind_tools(list(EDIT_TOOLS))
    messages = [SystemMessage(SYSTEM_PROMPT.format(model=model_outline(project))), HumanMessage(text)]
    try:
        answer = bound.invoke(messages)
    except (httpx.HTTPError, ValueError, KeyError) as error:
        raise LlmError(
            f"the language model could not be asked: {error}", hint="use the command grammar (`help`)"
        ) from error
    calls = answer.tool_calls if isinstance(answer, AIMessage) else []
    edits: list[EditBase] = []
    for call in calls:
        tool = TOOLS_BY_NAME.get(call["name"])
        if tool is None:
            raise LlmError(f"the language model called an unknown tool {call['name']!r}", hint="rephrase")
        args = {key: value for key, value in call["args"].items() if key != "op"}
        try:
            edits.append(tool.model_validate(args))
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            raise LlmError(
                f"the language model proposed an invalid {call['name']}: {problems}",
                hint="rephrase, or write the command (`help` lists them)",
            ) from None
    return edits


class OpenAICompatibleChatModel(BaseChatModel):
    """`/chat/completions` with tools over httpx: OpenAI, vLLM, Ollama, Databricks Model Serving."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 60.0
    # Databricks: fresh auth headers per request (OAuth tokens rotate); else the bearer api_key.
    headers_factory: Callable[[], Mapping[str, str]] | None = None
    transport: httpx.BaseTransport | None = None  # tests inject httpx.MockTransport

    @property
    def _llm_type(self) -> str:
        return "openai-compatible"

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=[convert_to_openai_tool(tool) for tool in tools], **kwargs)

    def _headers(self) -> dict[str, str]:
        if self.headers_factory is not None:
            return dict(self.headers_factory())
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        body: dict[str, Any] = {"model": self.model, "messages": convert_to_openai_messages(messages)}
        for key in ("tools", "tool_choice"):
            if kwargs.get(key):
                body[key] = kwargs[key]
        with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
            response = client.post(
                self.base_url.rstrip("/") + "/chat/completions", json=body, headers=self._headers()
            )
            response.raise_for_status()
        message = response.json()["choices"][0]["message"]
        tool_calls = [
            {
                "name": call["function"]["name"],
                "args": json.loads(call["function"].get("arguments") or "{}"),
                "id": call.get("id"),
                "type": "tool_call",
            }
            for call in message.get("tool_calls") or []
        ]
        ai = AIMessage(content=message.get("content") or "", tool_calls=tool_calls)
        return ChatResult(generations=[ChatGeneration(message=ai)])


def configured_model(env: Mapping[str, str] = os.environ) -> OpenAICompatibleChatModel | None:
    """The LLM the environment configures, or None (then free text gets help, not a guess)."""
    endpoint = env.get("ACCELERATOR_LLM_DATABRICKS_ENDPOINT")
    if endpoint:
        from databricks.sdk.core import Config

        config = Config()
        return OpenAICompatibleChatModel(
            base_url=f"{config.host.rstrip('/')}/serving-endpoints",
            model=endpoint,
            headers_factory=config.authenticate,
        )
    base_url = env.get("ACCELERATOR_LLM_BASE_URL")
    if not base_url:
        return None
    return OpenAICompatibleChatModel(
        base_url=base_url,
        model=env.get("ACCELERATOR_LLM_MODEL", "gpt-4o-mini"),
        api_key=env.get("ACCELERATOR_LLM_API_KEY") or env.get("OPENAI_API_KEY"),
    )


def propose_turn(
    turn: Turn,
    model: ToolCallingModel,
    read_state: Callable[[], ConversationState | None],
    derived: DerivedCache,
    answered: Callable[[str], bool] = lambda event: False,
) -> Turn:
    """The turn with the model's proposal for a text the command grammar does not parse: `proposed`
    (the edits, as JSON) or `proposal_error` (why there is none). Run it before the turn's
    transaction and lock; `interpret` then validates the proposal, and `apply` resolves it against
    the model as it is then. The turn is returned as is when its text parses, when the event was
    `answered` already (a redelivery asks no model), or when the sources build no model to show."""
    if "proposed" in turn or "proposal_error" in turn or len(turn["text"]) > MAX_MESSAGE_CHARS:
        return turn  # an over-long message is refused by `interpret`, unread
    if parse_commands(turn["text"]).ok:
        return turn
    state = read_state()
    if state is None or answered(turn["event"]):
        return turn
    try:
        sources = {**state["sources"], **(turn.get("adopted") or {})}
        project = derived.governed(Inputs.of(state), sources).project
    except AcceleratorError:
        return turn  # broken sources: the turn reports the syntax errors
    try:
        edits = propose_edits(model, turn["text"], project)
    except LlmError as error:
        return {**turn, "proposal_error": error.format()}
    return {**turn, "proposed": [edit.model_dump(mode="json") for edit in edits]}
