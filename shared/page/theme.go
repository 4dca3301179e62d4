package page

// themeColour is the brand colour in assets/portal.scss, for browsers that tint their own bar.
const themeColour = "#00615c"
