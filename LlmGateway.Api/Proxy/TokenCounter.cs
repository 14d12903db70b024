using System.Globalization;
using System.Threading.RateLimiting;
using LlmGateway.Api.Auth;
using LlmGateway.Api.ClientApis.Messages;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Pricing;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Providers.Anthropic;
using LlmGateway.Api.Relay;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Proxy;

/// <summary>
/// Anthropic's token count for any model group: the group's Anthropic deployments count exactly (the body goes to their
/// own <c>count_tokens</c>, model rewritten), any other group, or Anthropic deployments that are all unavailable, is
/// estimated with <see cref="PromptTokens"/>; <c>x-gateway-token-count</c> says which. Counting is free: no budget, no
/// ledger row. But an exact count is a call on the provider's <c>count_tokens</c> limit, which the organisation's keys
/// share: a virtual key gets <see cref="ProxyOptions.ExactTokenCountsPerKeyPerMinute"/> of them a minute on a replica,
/// then estimates — so one key hammering the route cannot use that limit up for every tenant.
/// </summary>
public sealed class TokenCounter(ModelCatalog catalog, ProviderRegistry providers, UpstreamSender sender, AnthropicBetas betas, ProxyOptions options)
    : IDisposable
{
    public const string Header = "x-gateway-token-count";
    private static readonly TimeSpan BodyTimeout = TimeSpan.FromSeconds(30);

    private readonly PartitionedRateLimiter<string> exactCounts = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetSlidingWindowLimiter(key, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(0, options.ExactTokenCountsPerKeyPerMinute),
            Window = TimeSpan.FromMinutes(1),
            SegmentsPerWindow = 6,
            QueueLimit = 0,
        }));

    public async Task CountAsync(HttpContext context)
    {
        if (await AcceptAsync(context) is not { } accepted)
        {
            return;
        }

        var (request, group, caller) = accepted;
        var headers = UpstreamHeaders.From(context.Request, betas);
        var anthropic = group.Deployments.Where(d => d.Provider == ProviderKind.Anthropic).ToList();
        // The master key is the operator's own: not limited.
        using var exact = anthropic.Count > 0 && caller.Key is { } key ? exactCounts.AttemptAcquire(key.Token) : null;
        foreach (var deployment in exact is { IsAcquired: false } ? [] : anthropic)
        {
            var body = BodyRewriter.Rewrite(request.Body, new BodyRewriter.Options(deployment.ProviderModel));
            using var upstream = await sender.SendAsync(providers.For(deployment), deployment, UpstreamOperation.CountTokens, body, headers, context.RequestAborted);
            if (upstream.Failure is { IsRetryable: true })
            {
                continue;
            }

            if (upstream.Failure is { } failure)
            {
                await ErrorWriter.WriteAsync(context, UpstreamErrors.ToClientError(failure, group.Name, 1, sameFormat: true), ClientFormat.Anthropic);
                return;
            }

            await CopyExactAsync(context, upstream.Message!);
            return;
        }

        context.Response.Headers[Header] = "estimated";
        context.Response.ContentType = "application/json";
        var tokens = PromptTokens.Estimate(request.Body.Bytes.Span);
        await context.Response.WriteAsync($"{{\"input_tokens\":{tokens.ToString(CultureInfo.InvariantCulture)}}}", context.RequestAborted);
    }

    /// <summary>The caller, body and model group; null once the Anthropic error that ends the request was sent.</summary>
    private async Task<(CountTokensRequest Request, ModelGroup Group, Caller Caller)?> AcceptAsync(HttpContext context)
    {
        var (caller, error) = context.Features.Get<Authentication>()
            ?? throw new InvalidOperationException("Proxy routes authenticate in ProxyAuthentication (Program.cs).");
        context.RequestAborted.ThrowIfCancellationRequested();
        CountTokensRequest? request = null;
        ModelGroup? group = null;
        if (error is null)
        {
            (request, error) = await ReadAsync(context);
        }

        if (error is null)
        {
            error = ProxyPipeline.Authorize(catalog, caller!, request!.Model, out group);
        }

        if (error is not null)
        {
            await ErrorWriter.WriteAsync(context, error, ClientFormat.Anthropic);
            return null;
        }

        return (request!, group!, caller!);
    }

    private async Task<(CountTokensRequest? Request, GatewayError? Error)> ReadAsync(HttpContext context)
    {
        var (body, tooLarge) = await RequestBody.ReadAsync(context, options.MaxRequestBodyBytes);
        if (tooLarge is not null)
        {
            return (null, tooLarge);
        }

        return JsonBody.TryParse(body!.Memory, out var json, out var error) && CountTokensRequest.TryRead(json, out var request, out error)
            ? (request, null)
            : (null, error);
    }

    private static async Task CopyExactAsync(HttpContext context, HttpResponseMessage upstream)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(BodyTimeout);
        context.Response.Headers[Header] = "exact";
        context.Response.ContentType = "application/json";
        await upstream.Content.CopyToAsync(context.Response.Body, timeout.Token);
    }

    public void Dispose() => exactCounts.Dispose();
}
