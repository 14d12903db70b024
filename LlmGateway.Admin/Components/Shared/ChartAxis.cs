using System.Globalization;

namespace LlmGateway.Admin.Components.Shared;

/// <summary>
/// A money y-axis that fits the data: a 1-2-5 step with about four ticks up to the tallest stack, labelled in dollars.
/// MudBlazor's tick spacing is a whole number, so values are plotted in units of <see cref="Scale"/> per dollar.
/// </summary>
public sealed record ChartAxis(double Step, double Scale, double Top)
{
    private const int Ticks = 4;

    public static ChartAxis ForMoney(double tallest)
    {
        var target = (tallest > 0 ? tallest : 0.01) / Ticks;
        var exponent = (int)Math.Floor(Math.Log10(target));
        var magnitude = Math.Pow(10, exponent);
        var normalized = target / magnitude;
        var step = (normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10) * magnitude;
        var scale = exponent < 0 ? Math.Pow(10, -exponent) : 1;
        var top = Math.Max(1, Math.Ceiling(tallest / step - 1e-9)) * step;
        return new ChartAxis(step, scale, top);
    }

    /// <summary>The tick spacing in plotted units (a whole number, as MudBlazor wants).</summary>
    public int PlottedStep => Math.Max(1, (int)Math.Round(Step * Scale));

    public double Plot(double dollars) => dollars * Scale;

    public string Label(double plotted)
    {
        var decimals = Math.Max(2, (int)Math.Ceiling(-Math.Log10(Step) - 1e-9));
        return (plotted / Scale).ToString("$#,##0." + new string('0', decimals), CultureInfo.InvariantCulture);
    }

    /// <summary>At most about ten x labels: the others are blank so they never overlap.</summary>
    public static string[] ThinLabels(string[] labels, int most = 10)
    {
        var every = Math.Max(1, (int)Math.Ceiling(labels.Length / (double)most));
        return labels.Select((label, i) => i % every == 0 ? label : "").ToArray();
    }
}
