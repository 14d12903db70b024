using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis.Completions;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;
using static LlmGateway.Tests.Pricing.WorstCaseTests;

namespace LlmGateway.Tests.Translation;

/// <summary>The cores of the legacy completions fan-out: which calls a request becomes, and how their chunks are numbered.</summary>
public class CompletionsFanOutPlanTests
{
    private static readonly CompletionsOptions Options = new();

    [Fact]
    public void AnOpenAiCompatibleGroupGetsOneCallPerPromptWithN()
    {
        var plan = Plan("""{"model":"m","prompt":["a","b","c"],"n":2,"max_tokens":7,"temperature":0.5}""", Group("openai/gpt-4o-mini"));

        Assert.Equal((3, 2, 1), (plan.Calls.Count, plan.ChoicesPerCall, plan.PromptCopies));
        var first = JsonNode.Parse(plan.Calls[0].Span)!;
        Assert.Equal("""[{"role":"user","content":"a"}]""", first["messages"]!.ToJsonString());
        Assert.Equal((2, 7, 0.5), ((int)first["n"]!, (int)first["max_tokens"]!, (double)first["temperature"]!));
        Assert.Null(first["prompt"]);
    }

    [Fact]
    public void AGroupThatReachesAnthropicGetsNCallsOfEachPromptInOrder()
    {
        var plan = Plan("""{"model":"m","prompt":["a","b"],"n":3}""", Group("openai/gpt-4o-mini"), Group("anthropic/claude-sonnet-4-5"));

        Assert.Equal((6, 1, 3), (plan.Calls.Count, plan.ChoicesPerCall, plan.PromptCopies));
        Assert.Equal(["a", "a", "a", "b", "b", "b"], plan.Calls.Select(c => (string)JsonNode.Parse(c.Span)!["messages"]![0]!["content"]!));
        Assert.All(plan.Calls, c => Assert.Null(JsonNode.Parse(c.Span)!["n"]));
    }

    [Fact]
    public void ACompletionsModelOrOnePromptAnsweredOnceIsNotFannedOut()
    {
        Assert.Equal(default, PlanOrError("""{"model":"m","prompt":["a","b"],"n":2}""", Group("openai/gpt-3.5-turbo-instruct")));
        Assert.Equal(default, PlanOrError("""{"model":"m","prompt":["a"]}""", Group("anthropic/claude-sonnet-4-5")));
    }

    [Theory]
    [InlineData("""{"model":"m","prompt":["a","b","c","d","e"],"n":4}""", "prompt", "fan_out_limit")]
    [InlineData("""{"model":"m","prompt":"a","n":17}""", "n", "fan_out_limit")]
    [InlineData("""{"model":"m","prompt":["a","b"],"echo":true}""", "echo", "unsupported_parameter")]
    [InlineData("""{"model":"m","prompt":[[1],[300000]]}""", "prompt", "unsupported_parameter")]
    [InlineData("""{"model":"m","prompt":["a",""]}""", "prompt", "invalid_value")]
    [InlineData("""{"model":"m","prompt":"","n":2}""", "prompt", "invalid_value")]
    public void WhatAChatModelCannotServeIsA400NamingTheField(string body, string param, string code)
    {
        var (plan, error) = PlanOrError(body, Group("anthropic/claude-sonnet-4-5"));

        Assert.Null(plan);
        Assert.Equal((400, param, code), (error!.StatusCode, error.Param, error.Code));
    }

    [Fact]
    public void AChunkOfSeveralChoicesBecomesOneChunkPerChoiceNumberedFromTheCallsFirstIndex()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new SseWriter(output);
        var identity = new ResponseIdentity("cmpl-1", "m", 1);

        CompletionsFanOutEncoder.Instance.WriteEvent("""{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"""u8, 4, identity, writer);
        CompletionsFanOutEncoder.Instance.WriteEvent("""{"choices":[{"index":0,"delta":{"content":"hi"}},{"index":1,"delta":{},"finish_reason":"length"}]}"""u8, 4, identity, writer);
        CompletionsFanOutEncoder.Instance.WriteEvent("""{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}"""u8, 4, identity, writer);
        CompletionsFanOutEncoder.Instance.WriteEvent("[DONE]"u8, 4, identity, writer);

        var events = SseText.Parse(output.WrittenSpan.ToArray());
        Assert.Equal(2, events.Count);
        var (hi, end) = (JsonNode.Parse(events[0].Data)!["choices"]![0]!, JsonNode.Parse(events[1].Data)!["choices"]![0]!);
        Assert.Equal(("hi", 4, null), ((string?)hi["text"], (int)hi["index"]!, (string?)hi["finish_reason"]));
        Assert.Equal(("", 5, "length"), ((string?)end["text"], (int)end["index"]!, (string?)end["finish_reason"]));
        Assert.Equal(("cmpl-1", "text_completion"), ((string?)JsonNode.Parse(events[0].Data)!["id"], (string?)JsonNode.Parse(events[0].Data)!["object"]));
    }

    private static ModelGroup Group(string model) => new("m", [DeploymentOf(model, null)]);

    private static FanOutPlan Plan(string body, ModelGroup group, params ModelGroup[] fallbacks) =>
        PlanOrError(body, group, fallbacks).Plan ?? throw new InvalidOperationException("not fanned out");

    private static (FanOutPlan? Plan, GatewayError? Error) PlanOrError(string body, ModelGroup group, params ModelGroup[] fallbacks)
    {
        Assert.True(JsonBody.TryParse(Encoding.UTF8.GetBytes(body), out var json, out _));
        Assert.True(CompletionsRequest.TryRead(json, out var request, out var invalid), invalid?.Message);
        return CompletionsFanOut.Plan(json, request, group, fallbacks, Options);
    }
}
