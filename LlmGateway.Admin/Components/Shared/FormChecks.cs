namespace LlmGateway.Admin.Components.Shared;

/// <summary>Checks of typed numbers, so a bad value is refused with a sentence instead of being clamped.</summary>
public static class FormChecks
{
    public const string BudgetHelp = "Empty: no budget. 0: every request is refused.";

    public static string? NotNegative(string label, double? value) => value < 0 ? $"{label} must be 0 or more." : null;

    public static string? NotNegative(string label, long? value) => value < 0 ? $"{label} must be 0 or more." : null;

    /// <summary>The first problem among <paramref name="problems"/>, or null when there is none.</summary>
    public static string? First(params string?[] problems) => problems.FirstOrDefault(p => p is not null);
}
