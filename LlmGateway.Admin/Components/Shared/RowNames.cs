using LlmGateway.Admin.Services;

namespace LlmGateway.Admin.Components.Shared;

/// <summary>Names for what a row lacks: traffic with the master key or without a valid key has no key and no team.</summary>
public static class RowNames
{
    public const string MasterKey = "master key";
    public const string Unauthenticated = "unauthenticated";
    public const string NoModel = "no model";

    /// <summary>
    /// The name of a summary group whose key is empty. The ledger leaves key and team empty both for the master key and for
    /// requests refused before a key was recognised, so a team or key summary cannot tell them apart.
    /// </summary>
    public static string BlankGroup(SpendGrouping grouping) => grouping switch
    {
        SpendGrouping.Team => $"no team ({MasterKey}, {Unauthenticated})",
        SpendGrouping.Key => $"{MasterKey} or {Unauthenticated}",
        SpendGrouping.Model => NoModel,
        SpendGrouping.Tag => "no tag",
        _ => "—",
    };

    /// <summary>Who sent a logged request when it carries no key hash: a 401 had no valid key, anything else was the master key.</summary>
    public static string KeylessCaller(SpendLogRow row) => row.StatusCode == 401 ? Unauthenticated : MasterKey;
}
