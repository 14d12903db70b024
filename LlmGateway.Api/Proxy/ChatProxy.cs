using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Messages;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Providers.Anthropic;

namespace LlmGateway.Api.Proxy;

/// <summary>
/// Sends a validated request to the deployments of its model group, in order, until one answers: a failure before the
/// first byte reached the client moves on to the next deployment when it is retryable; after it, never.
/// </summary>
public sealed class ChatProxy(UpstreamSender sender, ProviderRegistry providers, GatewayConfig config, ILogger<ChatProxy> logger)
{
    private static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(120);

    public Task ChatCompletionsAsync(ProxyContext proxy, ChatRequest request) =>
        RunAsync(proxy, UpstreamOperation.Chat, (deployment, provider) => provider.Format == WireFormat.OpenAi
            ? BodyRewriter.Rewrite(request.Body, new BodyRewriter.Options(deployment.ProviderModel)
            {
                ForceIncludeUsage = request.Stream,
                MaxTokensCeiling = deployment.MaxTokens,
                KeepMockResponse = deployment.Provider == ProviderKind.Mock,
            })
            : Translate(AnthropicRequestMapper.ToAnthropic(ParseObject(request.Body), deployment.ProviderModel, deployment.MaxTokens,
                config.LitellmSettings.DropParams)),
            (provider, upstream, idle) => (provider.Format, request.Stream) switch
            {
                (WireFormat.OpenAi, true) => OpenAiRelay.StreamAsync(proxy, upstream, request.IncludeUsage, idle),
                (WireFormat.OpenAi, false) => OpenAiRelay.BodyAsync(proxy, upstream, idle),
                (_, true) => AnthropicToOpenAiRelay.StreamAsync(proxy, upstream, request.IncludeUsage, idle),
                _ => AnthropicToOpenAiRelay.BodyAsync(proxy, upstream, idle),
            });

    public Task MessagesAsync(ProxyContext proxy, MessagesRequest request) =>
        RunAsync(proxy, UpstreamOperation.Chat, (deployment, provider) => provider.Format == WireFormat.Anthropic
            ? BodyRewriter.Rewrite(request.Body, new BodyRewriter.Options(deployment.ProviderModel) { MaxTokensCeiling = deployment.MaxTokens })
            : Translate(MessagesRequestMapper.ToOpenAiChat(ParseObject(request.Body), deployment.ProviderModel), deployment),
            (provider, upstream, idle) => (provider.Format, request.Stream) switch
            {
                (WireFormat.Anthropic, true) => AnthropicRelay.StreamAsync(proxy, upstream, idle),
                (WireFormat.Anthropic, false) => AnthropicRelay.BodyAsync(proxy, upstream, idle),
                (_, true) => OpenAiToAnthropicRelay.StreamAsync(proxy, upstream, idle),
                _ => OpenAiToAnthropicRelay.BodyAsync(proxy, upstream, idle),
            });

    public Task EmbeddingsAsync(ProxyContext proxy, EmbeddingsRequest request) =>
        RunAsync(proxy, UpstreamOperation.Embeddings,
            (deployment, _) => BodyRewriter.Rewrite(request.Body, new BodyRewriter.Options(deployment.ProviderModel)),
            (_, upstream, idle) => OpenAiRelay.BodyAsync(proxy, upstream, idle));

    private async Task RunAsync(
        ProxyContext proxy,
        UpstreamOperation operation,
        Func<DeploymentConfig, IChatProvider, RequestBodyResult> buildBody,
        Func<IChatProvider, HttpResponseMessage, TimeSpan, Task<ProviderFailure?>> relay)
    {
        var http = proxy.Http;
        ProviderFailure? last = null;
        var headers = UpstreamHeadersFrom(http.Request);
        foreach (var deployment in proxy.Group.Deployments)
        {
            var provider = providers.For(deployment);
            if (!provider.Supports(operation))
            {
                continue;
            }

            var body = buildBody(deployment, provider);
            if (body.Error is { } invalid)
            {
                await ErrorWriter.WriteAsync(http, invalid, proxy.Format);
                return;
            }

            proxy.Deployment = deployment;
            proxy.Attempts++;
            using var activity = GatewayTelemetry.ActivitySource.StartActivity("upstream attempt", ActivityKind.Client);
            activity?.SetTag("gen_ai.system", ProviderRegistry.Name(deployment.Provider));
            activity?.SetTag("gen_ai.request.model", deployment.ProviderModel);
            activity?.SetTag("llmgateway.deployment", deployment.Id);
            proxy.UpstreamStarted = proxy.Timings.StartUpstream();
            using var upstream = await sender.SendAsync(provider, deployment, operation, body.Bytes!, headers, http.RequestAborted);
            var failure = upstream.Failure
                ?? await relay(provider, upstream.Message!, deployment.StreamTimeout ?? deployment.Timeout ?? DefaultIdleTimeout);
            proxy.Timings.Upstream = Stopwatch.GetElapsedTime(proxy.UpstreamStarted);
            if (failure is null)
            {
                return;
            }

            activity?.SetStatus(ActivityStatusCode.Error, failure.Kind.ToString());
            last = failure;
            proxy.LastFailure = failure;
            logger.LogWarning("Deployment {Deployment} of {Group} failed: {Kind} {Status}", deployment.Id, proxy.Group.Name, failure.Kind, failure.StatusCode);
            if (proxy.Committed || !failure.IsRetryable || (failure.PossiblyBilled && deployment.NoRetryWhenPossiblyBilled))
            {
                break;
            }
        }

        if (proxy.Committed)
        {
            return;
        }

        var error = last is null
            ? GatewayError.InvalidRequest($"No deployment of model group '{proxy.Group.Name}' supports {Describe(operation)}.", "model", "unsupported_operation")
            : UpstreamErrors.ToClientError(last, proxy.Group.Name, proxy.Attempts);
        await ErrorWriter.WriteAsync(http, error, proxy.Format);
    }

    private static string Describe(UpstreamOperation operation) => operation == UpstreamOperation.Embeddings ? "embeddings" : "chat";

    /// <summary>Only Anthropic's own version and beta flags pass, and only when they are plain tokens (no CR, LF or NUL).</summary>
    private static UpstreamHeaders UpstreamHeadersFrom(HttpRequest request) => new(
        SafeToken(request.Headers["anthropic-version"].ToString()),
        SafeToken(request.Headers["anthropic-beta"].ToString()));

    private static string? SafeToken(string value)
    {
        if (value.Length is 0 or > 512)
        {
            return null;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ',' or ' '))
            {
                return null;
            }
        }

        return value;
    }

    private static JsonObject ParseObject(JsonBody body) => (JsonObject)JsonNode.Parse(body.Bytes.Span)!;

    private static RequestBodyResult Translate(TranslationResult<JsonObject> result, DeploymentConfig? deployment = null)
    {
        if (!result.IsSuccess)
        {
            return new RequestBodyResult(null, GatewayError.InvalidRequest(result.Error.Message, result.Error.Param, "unsupported_parameter"));
        }

        var json = result.Value;
        if (deployment?.MaxTokens is { } ceiling && json["max_tokens"]?.GetValue<long>() is { } requested && requested > ceiling)
        {
            json["max_tokens"] = ceiling;
        }

        return new RequestBodyResult(JsonSerializer.SerializeToUtf8Bytes(json, TranslationJson.Options), null);
    }
}

/// <summary>The body for one upstream, or why the request cannot go there.</summary>
public readonly record struct RequestBodyResult(byte[]? Bytes, GatewayError? Error)
{
    public static implicit operator RequestBodyResult(byte[] bytes) => new(bytes, null);
}
