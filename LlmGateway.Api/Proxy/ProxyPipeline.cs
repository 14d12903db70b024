using System.Globalization;
using LlmGateway.Api.Auth;
using LlmGateway.Api.Caching;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Limits;
using LlmGateway.Api.Pricing;
using LlmGateway.Api.Relay;
using LlmGateway.Api.Routing;
using LlmGateway.Api.Spend;
using LlmGateway.Api.Telemetry;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Proxy;

/// <summary>
/// The steps every proxy route shares: authenticate, read and validate the body, find the model group, check the
/// key may use it, admit against limits and budgets (reserving the worst case) — then, after the upstream,
/// settle the reservation to the actual cost and record the usage event, whatever happened.
/// </summary>
public static partial class ProxyPipeline
{
    public delegate bool RequestReader<TRequest>(JsonBody body, out TRequest request, out GatewayError? error);

    public static async Task RunAsync<TRequest>(
        HttpContext context, ProxyServices services, IClientAdapter client, RequestReader<TRequest> read,
        Func<TRequest, RequestFacts> facts, Func<TRequest, CallShape> shape, string callType, RequestState? state = null)
        where TRequest : class
    {
        var timings = RequestTimings.Of(context);
        var started = DateTimeOffset.UtcNow;
        var rejection = new Rejection(context, services, client.Format, callType, started, timings);
        Admission? admission = null;
        try
        {
            if (await AcceptAsync(context, services, read, facts, shape, callType, rejection, state) is not { } accepted
                || (admission = await AdmitAsync(context, services, accepted, rejection)) is null)
            {
                return;
            }

            timings.EndLimits();
            // A key blocked or deleted from now on (or since it was authenticated) cuts this request's stream (docs/security.md).
            using var watch = services.Auth.Revocations.Start(accepted.Caller.Key, timings.StartedTimestamp);
            var proxy = new ProxyContext(context, client, accepted.Group, timings)
            {
                AnswerId = state?.AnswerId, Revoked = watch.Token, EndsAfterSettle = admission.HoldsParallelLease,
            };
            var outcome = ProxyOutcome.None;
            Task? endsAfter = null;
            try
            {
                outcome = await ProxyAsync(services, proxy, accepted);
            }
            finally
            {
                // Settled whatever happened (success, upstream error, client gone): the reservation never leaks.
                endsAfter = Finish(services, accepted.Caller, proxy, outcome, admission, accepted.Facts, started, accepted.Route.Billing);
                admission = null;
            }

            if (endsAfter is not null)
            {
                await EndAfterSettleAsync(endsAfter);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left before the upstream was called: nothing was billed, but the request is recorded.
            if (admission is not null)
            {
                await services.Limits.SettleAsync(admission, context.TraceIdentifier, 0, 0m);
            }

            await rejection.RecordAsync(new GatewayError(499, "client_disconnected", "The client disconnected before the request was proxied."));
        }
    }

    /// <summary>A request the gateway will serve: its caller, body, facts, model group, cache plan and how it goes upstream.</summary>
    private sealed record Accepted(Caller Caller, RequestFacts Facts, ModelGroup Group, CachePlan? CachePlan, CallShape Shape, RouteRequest Route)
    {
        public RequestState? State { get; init; }

        public FanOutPlan? FanOut { get; init; }

        /// <summary>The end customer the request names has a budget (set at admission, where the customer is looked up).</summary>
        public bool CustomerBudgeted { get; set; }

        /// <summary>Under a budget (its key's, a tag's, its end customer's): only deployments with a price may answer it, fallbacks' included.</summary>
        public bool PricedOnly => Caller.Key is { } key && (Budgeted(key) || Route.Tags?.HasBudget == true || CustomerBudgeted);
    }

    /// <summary>Caller, body, model group, permission and cache controls, in that order; null once a rejection was sent.</summary>
    private static async Task<Accepted?> AcceptAsync<TRequest>(
        HttpContext context, ProxyServices services, RequestReader<TRequest> read, Func<TRequest, RequestFacts> facts,
        Func<TRequest, CallShape> shape, string callType, Rejection rejection, RequestState? state)
        where TRequest : class
    {
        var authentication = context.Features.Get<Authentication>()
            ?? throw new InvalidOperationException("Proxy routes authenticate in ProxyAuthentication (Program.cs).");
        context.RequestAborted.ThrowIfCancellationRequested(); // a client gone during authentication is recorded as one (499)
        var (caller, error) = authentication;
        rejection.Caller = caller;
        if (error is not null)
        {
            await rejection.SendRefusedKeyAsync(error);
            return null;
        }

        // A key whose rpm window Redis refused a moment ago is refused again before its body is read (docs/security.md).
        if (caller!.Key is { } key && services.Limits.RefusalBeforeBody(key) is { } full)
        {
            await rejection.SendAsync(full);
            return null;
        }

        if (await ParseAsync(context, services, read, rejection) is not var (json, request, fallbacks))
        {
            return null;
        }

        var requestFacts = facts(request) with { CallType = callType };
        rejection.Facts = requestFacts;
        // Premium features (service_tier, context-1m, hosted tools) only where the group's deployments allow them.
        if ((Authorize(services.Catalog, caller!, requestFacts.Model, out var group)
            ?? Pricing.PremiumFeatures.Refusal(group, json, context.Request.Headers["anthropic-beta"].ToString(), callType)
            ?? await services.Tags.ResolveAsync(context, json, caller!.Key, group)) is { } refused)
        {
            await rejection.SendAsync(refused);
            return null;
        }

        // Stored state (the Responses API) joins the body before the estimate and the upstream see it; such requests skip the cache.
        var (expanded, stateError) = state is null ? (json, null) : await state.PrepareAsync(caller!, json, context.RequestAborted);
        GatewayError? cacheError = null;
        // Response cache (docs/caching.md): cache controls are checked before admission, the lookup happens after it.
        var cachePlan = state is null ? services.Cache.Plan(context, caller!, json, requestFacts, group, out cacheError) : null;
        if ((stateError ?? cacheError) is { } refusedHere)
        {
            await rejection.SendAsync(refusedHere);
            return null;
        }

        json = expanded!;

        var callShape = shape(request);
        var route = RouteOf(context, callShape, json, caller!, fallbacks, state, callType);
        // Several upstream calls for one request (docs/api.md, legacy completions): planned, or refused, before admission; never cached.
        var (fanOut, fanOutError) = callShape.FanOut?.Invoke(json, group, services.Failover.ReachableFallbacks(group, route)) ?? default;
        if (fanOutError is not null)
        {
            await rejection.SendAsync(fanOutError);
            return null;
        }

        return new Accepted(caller!, requestFacts, group, fanOut is null ? cachePlan : null, callShape, route) { State = state, FanOut = fanOut };
    }

    private static RouteRequest RouteOf(
        HttpContext context, CallShape shape, JsonBody json, Caller caller, IReadOnlyList<string>? fallbacks, RequestState? state, string callType) =>
        new(shape.Operation, json)
        {
            PreferredDeploymentId = state?.PreferredDeploymentId,
            Key = caller.Key,
            Fallbacks = fallbacks,
            Tags = Tags.RequestTags.Of(context),
            AnthropicBeta = context.Request.Headers["anthropic-beta"].ToString(),
            CallType = callType,
        };

    /// <summary>The body read and parsed in the client's format, with the request's own fallbacks; null once the 4xx was sent.</summary>
    private static async Task<(JsonBody Json, TRequest Request, IReadOnlyList<string>? Fallbacks)?> ParseAsync<TRequest>(
        HttpContext context, ProxyServices services, RequestReader<TRequest> read, Rejection rejection)
        where TRequest : class
    {
        var (body, error) = await RequestBody.ReadAsync(context, services.Options.MaxRequestBodyBytes);
        if (error is null && JsonBody.TryParse(body!.Memory, out var json, out error) && read(json, out var request, out error)
            && RequestFallbacks.TryRead(json, out var fallbacks, out error))
        {
            return (json, request, fallbacks);
        }

        await rejection.SendAsync(error!);
        return null;
    }

    /// <summary>The model group exists and the key may use it; else the 404 or 403 that says so.</summary>
    internal static GatewayError? Authorize(ModelCatalog catalog, Caller caller, string model, out ModelGroup group)
    {
        if (!catalog.TryGetGroup(model, out group!))
        {
            return GatewayError.ModelNotFound(model);
        }

        return caller.Key is { } key && !key.MayUse(group.Name, group.AccessGroups)
            ? new GatewayError(StatusCodes.Status403Forbidden, "permission_denied",
                $"The key '{key.DisplayName}' is not allowed to use model '{group.Name}'. GET /v1/models lists the models it may use.",
                "model", "model_not_allowed")
            : null;
    }

    /// <summary>Limits and budgets, reserving the worst case (a virtual key only); null once a 429 was sent.</summary>
    private static async Task<Admission?> AdmitAsync(HttpContext context, ProxyServices services, Accepted accepted, Rejection rejection)
    {
        // The end customer (docs/governance.md): blocked is refused whoever calls; its limits join the key's scopes.
        var (endUser, blocked) = await services.Customers.ScopeForAsync(EndUserId.Of(context.Request.Headers, accepted.Facts.EndUser), DateTimeOffset.UtcNow);
        if (blocked is not null)
        {
            await rejection.SendAsync(blocked);
            return null;
        }

        if (accepted.Caller.Key is not { } key)
        {
            return Admission.Unlimited;
        }

        var tags = accepted.Route.Tags;
        accepted.CustomerBudgeted = endUser?.Budget is not null;
        if (accepted.PricedOnly && services.UnknownPrices.Refusal(accepted.Group) is { } unpriced)
        {
            await rejection.SendAsync(unpriced);
            return null;
        }

        // tpm reserves the worst case's tokens too (prompt + every choice's output ceiling), corrected at settle; the
        // worst case is the dearest group the request may reach, its fallbacks included (docs/governance.md).
        var route = accepted.Route;
        var copies = accepted.FanOut?.PromptCopies ?? 1;
        var (tokenReservation, worstCost) = services.Costs.WorstCase(accepted.Group, services.Failover.ReachableFallbacks(accepted.Group, route),
            new WorstCaseRequest(route.EstimatedPromptTokens * copies, accepted.Facts.MaxTokens, accepted.Facts.Choices, WorstCaseRequest.ThinkingBudgetOf(route.Body), route.UnsizedDocuments,
                route.PriorityTier)
            {
                HostedTools = route.HostedTools, InlineDocumentTokens = route.InlineDocumentTokens * copies, InlineAudioTokens = route.InlineAudioTokens * copies,
                AudioOutput = route.AsksAudioOutput, PredictionTokens = WorstCaseRequest.PredictionTokensOf(route.Body),
            });
        var admission = await services.Limits.AdmitAsync(key, accepted.Group.Name, tokenReservation, worstCost, context.TraceIdentifier, context.RequestAborted, endUser,
            tags?.Scopes);
        if (admission.Rejection is { } refused)
        {
            await rejection.SendAsync(refused);
            return null;
        }

        WriteRateLimitHeaders(context.Response, key, admission);
        LitellmHeaders.WriteKeySpend(context.Response.Headers, admission);
        return admission;
    }

    /// <summary>Under a budget of its key, team, user, team membership or organization: every deployment it reaches must have a price (Gateway:Pricing:UnknownPrice).</summary>
    private static bool Budgeted(Keys.KeyRecord key) =>
        key.KeyLimits.MaxBudget is not null || key.TeamLimits?.MaxBudget is not null || key.UserLimits?.MaxBudget is not null
        || key.MemberLimits?.MaxBudget is not null || key.OrganizationLimits?.MaxBudget is not null || key.BudgetWindows.Count > 0;

    /// <summary>How a request that ends before the upstream is answered and recorded, with what was known by then.</summary>
    private sealed class Rejection(HttpContext context, ProxyServices services, ClientFormat format, string callType, DateTimeOffset started, RequestTimings timings)
    {
        public Caller? Caller { get; set; }
        public RequestFacts? Facts { get; set; }

        public async Task SendAsync(GatewayError error)
        {
            await ErrorWriter.WriteAsync(context, error, format);
            await RecordAsync(error);
        }

        /// <summary>A refused key: answered, but recorded in the ledger only as one sampled row a minute (docs/security.md).</summary>
        public async Task SendRefusedKeyAsync(GatewayError error)
        {
            await ErrorWriter.WriteAsync(context, error, format);
            if (services.Auth.Failures.TakeLedgerRow(out var skipped))
            {
                await services.Usage.RecordAsync(UsageEvents.Rejected(context, Caller, Facts, callType, started, timings, error)
                    with { Metadata = $"{{\"auth_failures_not_recorded\":{skipped}}}" });
            }
        }

        public Task RecordAsync(GatewayError error) =>
            services.Usage.RecordAsync(UsageEvents.Rejected(context, Caller, Facts, callType, started, timings, error)).AsTask();
    }

    /// <summary>The cache answers, or the deployments do (their answer stored in the cache when it may be).</summary>
    private static async Task<ProxyOutcome> ProxyAsync(ProxyServices services, ProxyContext proxy, Accepted accepted)
    {
        var (cachePlan, shape, route) = (accepted.CachePlan, accepted.Shape, accepted.Route);
        var cached = await services.Cache.LookupAsync(cachePlan);
        proxy.Timings.EndCache();
        if (cached is not null)
        {
            return await services.Cache.ServeAsync(proxy, cachePlan!, cached);
        }

        proxy.Http.Response.Headers["x-gateway-cache"] = "miss";
        if (accepted.FanOut is { } fanOut)
        {
            return await FanOutAsync(services, proxy, accepted, fanOut);
        }

        var call = new UpstreamCall(route,
            new UpstreamRequestBuilder(proxy.Client, route.Body!, shape.PassThrough, services.Config.LitellmSettings.DropParams), shape.Stream, new StreamEncoderOptions(shape.IncludeUsage))
        {
            Capture = accepted.State is { } state ? state.KeepFor(proxy) : services.Cache.CaptureFor(proxy, cachePlan),
            PricedOnly = accepted.PricedOnly,
        };
        return await services.Failover.RunAsync(proxy, call);
    }

    /// <summary><c>x-ratelimit-{limit,remaining,reset}-{requests,tokens}</c> for the key's own limits.</summary>
    private static void WriteRateLimitHeaders(HttpResponse response, Keys.KeyRecord key, Admission admission)
    {
        var headers = response.Headers;
        if (key.KeyLimits.RpmLimit is { } rpm)
        {
            headers["x-ratelimit-limit-requests"] = rpm.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-requests"] = (admission.RemainingRequests ?? rpm).ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-requests"] = "60s";
        }

        if (key.KeyLimits.TpmLimit is { } tpm)
        {
            headers["x-ratelimit-limit-tokens"] = tpm.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-tokens"] = (admission.RemainingTokens ?? tpm).ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-tokens"] = "60s";
        }
    }
}
