using System.Globalization;
using LlmGateway.Api.Auth;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Limits;
using LlmGateway.Api.Spend;
using LlmGateway.Api.Telemetry;

namespace LlmGateway.Api.Proxy;

/// <summary>
/// The steps every proxy route shares: authenticate, read and validate the body, find the model group, check the
/// key may use it, admit against limits and budgets (reserving the worst case) — then, after the upstream,
/// settle the reservation to the actual cost and record the usage event, whatever happened.
/// </summary>
public static class ProxyPipeline
{
    public delegate bool RequestReader<TRequest>(JsonBody body, out TRequest request, out GatewayError? error);

    public static async Task RunAsync<TRequest>(
        HttpContext context, ProxyServices services, ClientFormat format, RequestReader<TRequest> read,
        Func<TRequest, RequestFacts> facts, Func<ProxyContext, TRequest, Task> proxyAsync)
        where TRequest : class
    {
        var timings = new RequestTimings();
        var started = DateTimeOffset.UtcNow;
        var (caller, error) = await services.Auth.AuthenticateAsync(context.Request, context.RequestAborted);
        if (error is not null)
        {
            await ErrorWriter.WriteAsync(context, error, format);
            return;
        }

        timings.EndAuth();
        var (body, tooLarge) = await RequestBody.ReadAsync(context, services.Options.MaxRequestBodyBytes);
        if (tooLarge is not null)
        {
            await ErrorWriter.WriteAsync(context, tooLarge, format);
            return;
        }

        if (!JsonBody.TryParse(body!.Memory, out var json, out error) || !read(json, out var request, out error))
        {
            await ErrorWriter.WriteAsync(context, error!, format);
            return;
        }

        var requestFacts = facts(request);
        if (!services.Catalog.TryGetGroup(requestFacts.Model, out var group))
        {
            await ErrorWriter.WriteAsync(context, GatewayError.ModelNotFound(requestFacts.Model), format);
            return;
        }

        if (caller!.Key is { } key && !key.MayUse(group.Name))
        {
            await RejectAsync(context, services, format, caller, requestFacts, started, timings, new GatewayError(
                StatusCodes.Status403Forbidden, "permission_denied",
                $"The key '{key.DisplayName}' is not allowed to use model '{group.Name}'. GET /v1/models lists the models it may use.",
                "model", "model_not_allowed"));
            return;
        }

        var admission = Admission.Unlimited;
        if (caller.Key is { } limited)
        {
            var promptTokens = Budgets.CostEstimator.EstimatePromptTokens(json.Bytes.Span);
            var (_, worstCost) = services.Costs.WorstCase(group, promptTokens, requestFacts.MaxTokens);
            var tokenReservation = promptTokens + (requestFacts.MaxTokens ?? 0);
            admission = await services.Limits.AdmitAsync(limited, group.Name, tokenReservation, worstCost, context.TraceIdentifier, context.RequestAborted);
            if (admission.Rejection is { } rejection)
            {
                await RejectAsync(context, services, format, caller, requestFacts, started, timings, rejection);
                return;
            }

            WriteRateLimitHeaders(context.Response, limited, admission);
        }

        timings.EndLimits();
        timings.EndCache();
        var proxy = new ProxyContext(context, format, group, timings)
        {
            CostOf = (deployment, usage) => services.Prices.For(deployment).Cost(usage),
        };
        try
        {
            await proxyAsync(proxy, request);
        }
        finally
        {
            // Settled whatever happened (success, upstream error, client gone): the reservation never leaks.
            await FinishAsync(services, caller, proxy, admission, requestFacts, started);
        }
    }

    private static async Task FinishAsync(ProxyServices services, Caller caller, ProxyContext proxy, Admission admission, RequestFacts facts, DateTimeOffset started)
    {
        var usage = proxy.Usage ?? default;
        var price = proxy.Deployment is { } deployment ? services.Prices.For(deployment) : Budgets.Price.Unknown;
        var cost = proxy.Usage is null ? 0m : price.Cost(usage);
        await services.Limits.SettleAsync(admission, proxy.RequestId, usage.TotalTokens, cost);
        GatewayMetrics.RequestFinished(proxy, caller, cost);
        var status = proxy.Http.Response.StatusCode;
        await services.Usage.RecordAsync(UsageEvents.From(proxy, caller, facts, started, usage, cost,
            priceUnknown: proxy.Usage is not null && !price.Known,
            status: status < 400 && proxy.MidStreamFailure is null ? "success" : UsageEvents.StatusOf(status, proxy)));
    }

    private static async Task RejectAsync(HttpContext context, ProxyServices services, ClientFormat format, Caller caller,
        RequestFacts facts, DateTimeOffset started, RequestTimings timings, GatewayError error)
    {
        await ErrorWriter.WriteAsync(context, error, format);
        await services.Usage.RecordAsync(UsageEvents.Rejected(context, caller, facts, started, timings, error));
    }

    /// <summary><c>x-ratelimit-{limit,remaining,reset}-{requests,tokens}</c> for the key's own limits.</summary>
    private static void WriteRateLimitHeaders(HttpResponse response, Keys.KeyRecord key, Admission admission)
    {
        var headers = response.Headers;
        if (key.Key.RpmLimit is { } rpm)
        {
            headers["x-ratelimit-limit-requests"] = rpm.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-requests"] = (admission.RemainingRequests ?? rpm).ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-requests"] = "60s";
        }

        if (key.Key.TpmLimit is { } tpm)
        {
            headers["x-ratelimit-limit-tokens"] = tpm.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-tokens"] = (admission.RemainingTokens ?? tpm).ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-tokens"] = "60s";
        }
    }
}
