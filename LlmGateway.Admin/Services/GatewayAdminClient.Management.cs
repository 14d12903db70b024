namespace LlmGateway.Admin.Services;

public sealed partial class GatewayAdminClient
{
    // Teams
    public Task<ApiResult<List<Team>>> ListTeamsAsync(CancellationToken ct = default) => GetAsync<List<Team>>("/team/list", ct);

    public Task<ApiResult<TeamInfo>> GetTeamAsync(string teamId, CancellationToken ct = default) =>
        GetAsync<TeamInfo>("/team/info" + Query(("team_id", teamId)), ct);

    public Task<ApiResult<Team>> CreateTeamAsync(TeamRequest team, CancellationToken ct = default) => PostAsync<Team>("/team/new", team, ct);

    public Task<ApiResult<bool>> UpdateTeamAsync(TeamRequest team, CancellationToken ct = default) => PostAsync<bool>("/team/update", team, ct);

    public Task<ApiResult<bool>> DeleteTeamAsync(string teamId, CancellationToken ct = default) =>
        PostAsync<bool>("/team/delete", new { team_ids = new[] { teamId } }, ct);

    // Keys
    public Task<ApiResult<KeyList>> ListKeysAsync(string? teamId = null, int page = 1, int size = 100, CancellationToken ct = default) =>
        GetAsync<KeyList>("/key/list" + Query(("team_id", teamId), ("page", page.ToString()), ("size", size.ToString()), ("return_full_object", "true")), ct);

    public Task<ApiResult<GeneratedKey>> GenerateKeyAsync(KeyRequest key, CancellationToken ct = default) => PostAsync<GeneratedKey>("/key/generate", key, ct);

    public Task<ApiResult<bool>> UpdateKeyAsync(KeyRequest key, CancellationToken ct = default) => PostAsync<bool>("/key/update", key, ct);

    public Task<ApiResult<bool>> DeleteKeyAsync(string key, CancellationToken ct = default) =>
        PostAsync<bool>("/key/delete", new { keys = new[] { key } }, ct);

    public Task<ApiResult<bool>> SetKeyBlockedAsync(string key, bool blocked, CancellationToken ct = default) =>
        PostAsync<bool>(blocked ? "/key/block" : "/key/unblock", new { key }, ct);

    /// <summary>A new secret for the same key record; the old one keeps working for <paramref name="gracePeriod"/> (e.g. 24h).</summary>
    public Task<ApiResult<GeneratedKey>> RegenerateKeyAsync(string key, string? gracePeriod, CancellationToken ct = default) =>
        PostAsync<GeneratedKey>($"/key/{Uri.EscapeDataString(key)}/regenerate", new { grace_period = string.IsNullOrWhiteSpace(gracePeriod) ? null : gracePeriod }, ct);

    // Spend
    public Task<ApiResult<List<SpendLogRow>>> GetSpendLogsAsync(SpendLogFilter filter, CancellationToken ct = default) =>
        GetAsync<List<SpendLogRow>>("/spend/logs" + Query(
            ("request_id", filter.RequestId), ("team_id", filter.TeamId), ("api_key", filter.ApiKey), ("model", filter.Model),
            ("status", filter.Status), ("start_date", Date(filter.StartDate)), ("end_date", Date(filter.EndDate)),
            ("summarize", "false"), ("limit", "100")), ct);

    /// <summary>Spend grouped by <paramref name="groupBy"/>; <paramref name="filter"/>'s team, key, model and status narrow it.</summary>
    public Task<ApiResult<List<SpendSummaryRow>>> GetSpendSummaryAsync(DateTimeOffset start, DateTimeOffset end, SpendGrouping groupBy,
        SpendLogFilter? filter = null, CancellationToken ct = default) =>
        GetAsync<List<SpendSummaryRow>>("/spend/summary" + Query(
            ("start_date", Date(start)), ("end_date", Date(end)), ("group_by", groupBy.ToString().ToLowerInvariant()),
            ("team_id", filter?.TeamId), ("api_key", filter?.ApiKey), ("model", filter?.Model), ("status", filter?.Status)), ct);

    public Task<ApiResult<GlobalSpend>> GetGlobalSpendAsync(CancellationToken ct = default) => GetAsync<GlobalSpend>("/global/spend", ct);

    // Models
    public Task<ApiResult<ModelInfoList>> GetModelInfoAsync(CancellationToken ct = default) => GetAsync<ModelInfoList>("/model/info", ct);

    public Task<ApiResult<bool>> CreateModelAsync(ModelRequest model, CancellationToken ct = default) => PostAsync<bool>("/model/new", model, ct);

    public Task<ApiResult<bool>> UpdateModelAsync(ModelRequest model, CancellationToken ct = default) => PostAsync<bool>("/model/update", model, ct);

    /// <summary>Disables (LiteLLM's <c>model_info.blocked</c>) or enables a stored deployment without deleting it.</summary>
    public Task<ApiResult<bool>> SetModelBlockedAsync(string id, bool blocked, CancellationToken ct = default) =>
        PostAsync<bool>("/model/update", new ModelRequest(null, new ModelRequestParams(), new ModelRequestInfo { Id = id, Blocked = blocked }), ct);

    public Task<ApiResult<bool>> DeleteModelAsync(string id, CancellationToken ct = default) => PostAsync<bool>("/model/delete", new { id }, ct);

    /// <summary>One 1-token request to the deployment as typed (not saved); with the id of a stored one, its key if none is typed.</summary>
    public Task<ApiResult<ConnectionTest>> TestConnectionAsync(ModelRequest model, CancellationToken ct = default) =>
        PostAsync<ConnectionTest>("/health/test_connection", model, ct);

    /// <summary>Probes every deployment now (a real call to each upstream).</summary>
    public Task<ApiResult<HealthReport>> RunHealthCheckAsync(CancellationToken ct = default) => GetAsync<HealthReport>("/health", ct);

    // Alerts: endpoints proposed by the admin, answered 404 until the Api has them
    public Task<ApiResult<AlertsPage>> GetAlertsAsync(string? teamId = null, CancellationToken ct = default) =>
        GetAsync<AlertsPage>("/alerts" + Query(("team_id", teamId)), ct);

    public Task<ApiResult<TestAlertResult>> SendTestAlertAsync(CancellationToken ct = default) =>
        PostAsync<TestAlertResult>("/alerts/test", new { }, ct);
}
